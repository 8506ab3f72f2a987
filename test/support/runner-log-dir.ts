// A runner's log directory for the file source's tests: a fresh temporary directory for every test (removed
// after it), and its log files written, gzipped and appended to by name.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach } from 'vitest';

export interface RunnerLogDir {
  /** The current test's directory. */
  readonly path: string;
  /** The path of the file `name` in it. */
  file(name: string): string;
  write(name: string, content: string | Buffer): void;
  /** Writes `text` gzipped, as the runner leaves a finished day. */
  writeGz(name: string, text: string): void;
  append(name: string, text: string): void;
}

export function useRunnerLogDir(): RunnerLogDir {
  let path = '';
  beforeEach(() => {
    path = mkdtempSync(join(tmpdir(), 'truwatch-file-'));
  });
  afterEach(() => {
    rmSync(path, { recursive: true, force: true });
  });
  const file = (name: string) => join(path, name);
  return {
    get path() {
      return path;
    },
    file,
    write: (name, content) => writeFileSync(file(name), content),
    writeGz: (name, text) => writeFileSync(file(name), gzipSync(Buffer.from(text))),
    append: (name, text) => appendFileSync(file(name), text),
  };
}
