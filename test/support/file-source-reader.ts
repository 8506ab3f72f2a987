// Reading the file source in its tests: a reader takes what the source gives in the background, as fast as it
// gives it (events, lines with whether they came live, statuses), and every reader a test started is stopped
// after it; with the checks of what was read (cursors in order, the cursor of a line).
import { afterEach, expect } from 'vitest';
import type { Status } from '../../protocol/node-events.ts';
import { formatFileCursor } from '../../sidecar/src/sources/file/cursor.ts';
import { FileSource } from '../../sidecar/src/sources/file/file.ts';
import type { ReadEvent, SourceLine } from '../../sidecar/src/sources/source.ts';
import type { RunnerLogDir } from './runner-log-dir.ts';

/** How often the tests' sources poll their directory, in ms. */
export const POLL_MS = 15;

export interface ReaderOptions {
  after?: string;
  /** The directory to read, if not the test's log directory. */
  path?: string;
  pollMs?: number;
}

export interface FileReader {
  readonly events: ReadEvent[];
  readonly lines: (SourceLine & { live: boolean })[];
  readonly statuses: Status[];
  /** Waits until `ok()` holds; fails with `what` and the lines read after `ms`. */
  until(what: string, ok: () => boolean, ms?: number): Promise<void>;
  texts(): string[];
  /** Whether the source said it follows live. */
  isLive(): boolean;
  /** Aborts the read and waits for the source to end. */
  stop(): Promise<void>;
}

/** Readers of the file source on `logs` (by default), each stopped after the test that started it. */
export function useFileReaders(logs: RunnerLogDir): (options?: ReaderOptions) => FileReader {
  const readers: FileReader[] = [];
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
  });
  return (options = {}) => {
    const r = readFileSource(options.path ?? logs.path, options);
    readers.push(r);
    return r;
  };
}

function readFileSource(dir: string, options: ReaderOptions): FileReader {
  const ac = new AbortController();
  const events: ReadEvent[] = [];
  const lines: (SourceLine & { live: boolean })[] = [];
  const statuses: Status[] = [];
  const source = new FileSource({ dir, pollMs: options.pollMs ?? POLL_MS });
  const done = (async () => {
    for await (const event of source.read({ after: options.after, signal: ac.signal })) {
      events.push(event);
      if (event.type === 'lines') for (const line of event.lines) lines.push({ ...line, live: event.live });
      else if (event.type === 'status') statuses.push(event.status);
    }
  })();
  const texts = () => lines.map((l) => l.text);
  const until = async (what: string, ok: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; lines: ${texts().join('|')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const isLive = () => statuses.some((s) => s.state === 'live');
  const stop = async () => {
    ac.abort();
    await done;
  };
  return { events, lines, statuses, until, texts, isLive, stop };
}

/** The cursor of the line that starts at `offset` of a day's text (`gen`: truncations of that day before). */
export function cursorAt(date: string, offset: number, gen = 0): string {
  return formatFileCursor(date, gen, offset);
}

/** The lines' cursors increase in the order they were handed out, none twice. */
export function expectOrdered(lines: SourceLine[]): void {
  const cursors = lines.map((l) => l.cursor);
  expect(cursors).toEqual([...cursors].sort());
  expect(new Set(cursors).size).toBe(cursors.length);
}
