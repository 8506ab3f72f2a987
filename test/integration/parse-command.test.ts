// The README's "Parsing a log by hand", run as written: `npm run -s parse -- FILE` gives pure NDJSON (every line of
// its output one entry of the contract, nothing of npm's), and `--summary` one JSON document.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntrySchema } from '../../protocol/node-events.ts';
import { writeGeneratedLog, type GeneratedTruth } from '../../sidecar/src/demo/write-log.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let dir: string;
let file: string;
let truth: GeneratedTruth;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-parse-'));
  file = join(dir, 'runner.log');
  truth = await writeGeneratedLog(file, { tasks: 50 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npmParse(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'npm',
      ['run', '-s', 'parse', '--', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (e, out) => (e ? reject(e) : resolve(out)),
    ),
  );
}

describe('npm run -s parse, as the README writes it', () => {
  it('prints one contract entry per line and nothing else', async () => {
    const lines = (await npmParse([file])).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(v.is(EntrySchema, JSON.parse(line))).toBe(true);
  }, 120_000);

  it('stops quietly when the reader stops reading (piped to head)', () => {
    const piped = spawnSync('sh', ['-c', `node scripts/parse.mjs '${file}' | head -n 1`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(piped.stderr).toBe('');
  }, 120_000);

  it('prints the summary as one JSON document', async () => {
    const summary = JSON.parse(await npmParse([file, '--summary'])) as { tasks: unknown[] };
    expect(summary.tasks).toHaveLength(truth.executions.length);
  }, 120_000);
});
