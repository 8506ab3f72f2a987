// The file source on real directories: history of .log and .log.gz days in reading order, then the current
// file followed through rotation, truncation and a new file under its name; resuming after a cursor, damaged and
// unreadable files, bounded batches and backpressure.
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Status } from '../../../../protocol/node-events.ts';
import { formatFileCursor } from './cursor.ts';
import { NO_DATE, scanLogDir } from './scan.ts';
import { FileSource } from './file.ts';
import { MAX_BATCH_LINES, type SourceEvent, type SourceLine } from '../source.ts';

const POLL_MS = 15;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const c = (date: string, offset: number, gen = 0) => formatFileCursor(date, gen, offset);
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
const writeGz = (name: string, text: string) => writeFileSync(join(dir, name), gzipSync(Buffer.from(text)));
const append = (name: string, text: string) => appendFileSync(join(dir, name), text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the source in the background, as fast as it gives, until stopped. */
function follow(options: { after?: string; path?: string; pollMs?: number } = {}) {
  const ac = new AbortController();
  const events: SourceEvent[] = [];
  const lines: (SourceLine & { live: boolean })[] = [];
  const statuses: Status[] = [];
  const source = new FileSource({ dir: options.path ?? dir, pollMs: options.pollMs ?? POLL_MS });
  const done = (async () => {
    for await (const event of source.read({ after: options.after, signal: ac.signal })) {
      events.push(event);
      if (event.type === 'lines') for (const line of event.lines) lines.push({ ...line, live: event.live });
      else statuses.push(event.status);
    }
  })();
  const until = async (what: string, ok: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; lines: ${texts().join('|')}`);
      await sleep(5);
    }
  };
  const texts = () => lines.map((l) => l.text);
  const isLive = () => statuses.some((s) => s.state === 'live');
  const stop = async () => {
    ac.abort();
    await done;
  };
  return { events, lines, statuses, until, texts, isLive, stop, done };
}

/** The same as follow(), with the source in a child process running as `nobody` (uid 65534). */
async function followAsNobody() {
  chmodSync(dir, 0o755);
  // `nobody` may not be able to enter the work tree: run a self-contained bundle from a directory it can read.
  const bin = mkdtempSync(join(tmpdir(), 'truwatch-follow-'));
  chmodSync(bin, 0o755);
  const script = join(bin, 'follow-files.mjs');
  await build({
    entryPoints: [new URL('../../../../scripts/follow-files.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'warning',
  });
  const child = spawn(process.execPath, [script, dir, String(POLL_MS)], {
    cwd: bin,
    uid: 65534,
    gid: 65534,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', () => rmSync(bin, { recursive: true, force: true }));
  const lines: SourceLine[] = [];
  const statuses: Status[] = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const rows = (rest + chunk.toString()).split('\n');
    rest = rows.pop()!;
    for (const row of rows) {
      const event = JSON.parse(row) as SourceEvent;
      if (event.type === 'lines') lines.push(...event.lines);
      else statuses.push(event.status);
    }
  });
  const texts = () => lines.map((l) => l.text);
  const until = async (what: string, ok: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; statuses: ${JSON.stringify(statuses)}`);
      await sleep(5);
    }
  };
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { lines, statuses, until, texts, isLive: () => statuses.some((s) => s.state === 'live'), stop };
}

type Reader = ReturnType<typeof follow>;
const readers: Reader[] = [];
function reader(options?: Parameters<typeof follow>[0]): Reader {
  const r = follow(options);
  readers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(readers.splice(0).map((r) => r.stop()));
});

function expectOrdered(lines: SourceLine[]) {
  const cursors = lines.map((l) => l.cursor);
  expect(cursors).toEqual([...cursors].sort());
  expect(new Set(cursors).size).toBe(cursors.length);
}

describe('FileSource', () => {
  it('reads gz days, then the current log, in date order with byte-offset cursors', async () => {
    writeGz('2025-11-23.log.gz', 'b1\nb2'); // the last line of a finished file counts without "\n"
    writeGz('2025-11-22.log.gz', 'a1\na22\n');
    write('2025-11-24.log', 'c1\nc2\n');
    write('2025-11-24-audit.json', '{}');
    const r = reader();
    await r.until('live', r.isLive);
    expect(r.lines.map((l) => [l.cursor, l.text, l.live, l.stream, l.ts])).toEqual([
      [c('2025-11-22', 0), 'a1', false, 'stdout', undefined],
      [c('2025-11-22', 3), 'a22', false, 'stdout', undefined],
      [c('2025-11-23', 0), 'b1', false, 'stdout', undefined],
      [c('2025-11-23', 3), 'b2', false, 'stdout', undefined],
      [c('2025-11-24', 0), 'c1', false, 'stdout', undefined],
      [c('2025-11-24', 3), 'c2', false, 'stdout', undefined],
    ]);
    expect(c('2025-11-22', 3)).toBe('f.2025-11-22.000.000000000000003');
    const backfill = r.statuses.filter((s) => s.state === 'backfill');
    expect(backfill[0]!.backfill).toMatchObject({ entries: 0, bytes: 0, done: false });
    expect(backfill.at(-1)!.backfill).toMatchObject({ entries: 6, done: true });
    expect(backfill.at(-1)!.backfill!.bytes).toBe(backfill.at(-1)!.backfill!.totalBytes);
    expect(r.statuses.at(-1)).toMatchObject({ source: 'file', state: 'live' });
  });

  it('gives a day the same cursors from its .log and its .log.gz, and reads a day with both once', async () => {
    const text = 'one\ntwo\r\nthree\n';
    write('worker-2025-11-24.log', text);
    const a = reader();
    await a.until('live', a.isLive);
    await a.stop();
    rmSync(join(dir, 'worker-2025-11-24.log'));
    writeGz('worker-2025-11-24.log.gz', text);
    const b = reader();
    await b.until('live', b.isLive);
    expect(b.lines.map((l) => l.cursor)).toEqual(a.lines.map((l) => l.cursor));
    expect(b.texts()).toEqual(['one', 'two', 'three']);
    // Rotation in progress: both exist (the .gz maybe half written); the .log is read, once.
    write('worker-2025-11-24.log', text);
    writeFileSync(join(dir, 'worker-2025-11-24.log.gz'), gzipSync(text).subarray(0, 10));
    write('worker-2025-11-25.log', 'next\n');
    const d = reader();
    await d.until('live', d.isLive);
    expect(d.texts()).toEqual(['one', 'two', 'three', 'next']);
    expect(d.statuses.some((s) => s.state === 'error')).toBe(false);
  });

  it('follows appended lines, holding a partial line until its end arrives', async () => {
    write('2025-11-24.log', 'c1\n');
    const r = reader();
    await r.until('live', r.isLive);
    append('2025-11-24.log', 'c2\nc3 first half');
    await r.until('c2', () => r.texts().includes('c2'));
    await sleep(POLL_MS * 4);
    expect(r.texts()).toEqual(['c1', 'c2']);
    append('2025-11-24.log', ', second half\r\n');
    await r.until('c3', () => r.lines.length === 3);
    expect(r.lines.slice(1).map((l) => [l.cursor, l.text, l.live])).toEqual([
      [c('2025-11-24', 3), 'c2', true],
      [c('2025-11-24', 6), 'c3 first half, second half', true],
    ]);
  });

  it('switches to the new day at rotation without losing or doubling lines', async () => {
    writeGz('2025-11-23.log.gz', 'old\n');
    write('2025-11-24.log', 'x1\n');
    const r = reader();
    await r.until('live', r.isLive);
    append('2025-11-24.log', 'x2\nx3\n');
    // The runner opens the next day's file, flushes a last line to the old one, then gzips it and removes it.
    write('2025-11-25.log', 'y1\n');
    append('2025-11-24.log', 'x4 late\n');
    writeGz('2025-11-24.log.gz', readFileSync(join(dir, '2025-11-24.log'), 'utf8'));
    unlinkSync(join(dir, '2025-11-24.log'));
    await r.until('y1', () => r.texts().includes('y1'));
    append('2025-11-25.log', 'y2\n');
    await r.until('y2', () => r.texts().includes('y2'));
    expect(r.texts()).toEqual(['old', 'x1', 'x2', 'x3', 'x4 late', 'y1', 'y2']);
    expectOrdered(r.lines);
    expect(r.lines.at(-1)!.cursor).toBe(c('2025-11-25', 3));
    // Read again from scratch: the same lines under the same cursors, now from the .gz.
    const again = reader();
    await again.until('live', again.isLive);
    expect(again.lines.map((l) => [l.cursor, l.text])).toEqual(r.lines.map((l) => [l.cursor, l.text]));
  });

  it('lets the old file settle before switching: a last write just after the new file appears is kept', async () => {
    write('2025-11-24.log', 'x1\n');
    // Scans every 500 ms: it sees the new file within ~500 ms, and switches 1 s later at the earliest. The
    // late write comes after it saw the new file, with 400 ms to spare for a loaded machine's pauses.
    const r = reader({ pollMs: 500 });
    await r.until('live', r.isLive);
    write('2025-11-25.log', 'y1\n');
    await sleep(600);
    append('2025-11-24.log', 'x2 flushed late\n');
    await r.until('y1', () => r.texts().includes('y1'));
    expect(r.texts()).toEqual(['x1', 'x2 flushed late', 'y1']);
    expectOrdered(r.lines);
  });

  it('follows a new file under the same name as the next generation', async () => {
    write('worker.log', 'w1\n');
    const r = reader();
    await r.until('live', r.isLive);
    renameSync(join(dir, 'worker.log'), join(dir, 'worker.log.1'));
    append('worker.log.1', 'w2\n');
    write('worker.log', 'n1\n');
    await r.until('n1', () => r.texts().includes('n1'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c(NO_DATE, 0), 'w1'],
      [c(NO_DATE, 3), 'w2'],
      [c(NO_DATE, 0, 1), 'n1'],
    ]);
  });

  it('orders files: gz-only days, then .log days; undated ones first by mtime, then by date', async () => {
    write('b.log', '');
    utimesSync(join(dir, 'b.log'), 1000, 1000);
    write('a.log', '');
    utimesSync(join(dir, 'a.log'), 2000, 2000);
    write('app-2025-11-02.log', '');
    writeGz('app-2025-11-03.log.gz', '');
    writeGz('app-2025-11-01.log.gz', '');
    writeGz('x.log.gz', '');
    write('app-2025-11-01.log.1', ''); // not a log file of ours
    const days = await scanLogDir(dir);
    expect(days !== 'missing' && days.map((d) => [d.stem, d.date])).toEqual([
      ['x', NO_DATE],
      ['app-2025-11-01', '2025-11-01'],
      ['app-2025-11-03', '2025-11-03'],
      ['b', NO_DATE],
      ['a', NO_DATE],
      ['app-2025-11-02', '2025-11-02'],
    ]);
    expect(await scanLogDir(join(dir, 'nope'))).toBe('missing');
  });

  it('reads a file truncated in place from its start again, with increasing cursors', async () => {
    write('2025-11-24.log', 'a1\na2\n');
    const r = reader();
    await r.until('live', r.isLive);
    truncateSync(join(dir, '2025-11-24.log'), 0);
    append('2025-11-24.log', 'b1\n');
    await r.until('b1', () => r.texts().includes('b1'));
    append('2025-11-24.log', 'b2\n');
    await r.until('b2', () => r.texts().includes('b2'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c('2025-11-24', 0), 'a1'],
      [c('2025-11-24', 3), 'a2'],
      [c('2025-11-24', 0, 1), 'b1'],
      [c('2025-11-24', 3, 1), 'b2'],
    ]);
    // A restart resuming after the last line keeps the generation: later lines are after it.
    await r.stop();
    append('2025-11-24.log', 'b3\n');
    const resumed = reader({ after: c('2025-11-24', 3, 1) });
    await resumed.until('b3', () => resumed.texts().includes('b3'));
    expect(resumed.lines.filter((l) => l.cursor > c('2025-11-24', 3, 1)).map((l) => l.text)).toEqual(['b3']);
  });

  it('takes the rest of a copied-and-truncated file from its new .log.gz', async () => {
    write('2025-11-24.log', 'p1\np2 par');
    const r = reader();
    await r.until('live', r.isLive);
    await r.until('p1', () => r.texts().includes('p1'));
    writeGz('2025-11-24.log.gz', 'p1\np2 partial\nq1\n');
    truncateSync(join(dir, '2025-11-24.log'), 0);
    append('2025-11-24.log', 'n1\n');
    await r.until('n1', () => r.texts().includes('n1'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c('2025-11-24', 0), 'p1'],
      [c('2025-11-24', 3), 'p2 partial'],
      [c('2025-11-24', 14), 'q1'],
      [c('2025-11-24', 0, 1), 'n1'],
    ]);
  });

  it('waits for a missing directory and for its first file', async () => {
    const path = join(dir, 'logs', 'debug');
    const r = reader({ path });
    await r.until('waiting', () => r.statuses.some((s) => s.state === 'waiting'));
    expect(r.statuses[0]!.detail).toContain('does not exist');
    mkdirSync(path, { recursive: true });
    await r.until('empty', () => r.statuses.some((s) => s.detail?.includes('No *.log')));
    writeFileSync(join(path, '2025-11-24.log'), 'hello\n');
    await r.until('live', r.isLive);
    appendFileSync(join(path, '2025-11-24.log'), 'again\n');
    await r.until('again', () => r.texts().includes('again'));
    expect(r.texts()).toEqual(['hello', 'again']);
    expect(r.statuses.filter((s) => s.state === 'waiting')).toHaveLength(2); // reported once each, not per poll
  });

  it('resumes after a cursor in a gz day or in the current file, giving every later line once', async () => {
    const days = ['2025-11-20', '2025-11-21', '2025-11-22', '2025-11-23'];
    for (const [i, day] of days.entries()) {
      const text = Array.from({ length: 30 }, (_, n) => `${day} line ${n}\n`).join('');
      if (i < days.length - 1) writeGz(`${day}.log.gz`, text);
      else write(`${day}.log`, text);
    }
    const full = reader();
    await full.until('live', full.isLive);
    expect(full.lines).toHaveLength(120);
    expectOrdered(full.lines);
    const afters = [full.lines[75]!.cursor, full.lines[100]!.cursor, full.lines[119]!.cursor];
    expect(afters.map((a) => a.slice(2, 12))).toEqual(['2025-11-22', '2025-11-23', '2025-11-23']);
    for (const [i, after] of afters.entries()) {
      const expected = full.lines.filter((l) => l.cursor > after).map((l) => l.text);
      const r = reader({ after });
      await r.until('live', r.isLive);
      append('2025-11-23.log', `appended ${i}\n`);
      await r.until('appended', () => r.texts().includes(`appended ${i}`));
      expect(r.lines.filter((l) => l.cursor > after).map((l) => l.text)).toEqual([
        ...expected,
        `appended ${i}`,
      ]);
      // The correlation window: from the day before the cursor's, not the whole history.
      expect(r.lines[0]!.text).toBe(i === 0 ? '2025-11-21 line 0' : '2025-11-22 line 0');
      await r.stop();
      await full.until('appended', () => full.texts().includes(`appended ${i}`));
    }
  });

  it('splits CRLF lines and counts their bytes in the offsets', async () => {
    writeGz('2025-11-23.log.gz', 'a\r\nbb\r\n');
    write('2025-11-24.log', 'c\r\n\r\nd\r\n');
    const r = reader();
    await r.until('live', r.isLive);
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c('2025-11-23', 0), 'a'],
      [c('2025-11-23', 3), 'bb'],
      [c('2025-11-24', 0), 'c'],
      [c('2025-11-24', 3), ''],
      [c('2025-11-24', 5), 'd'],
    ]);
  });

  it('reports a corrupt or truncated gz, keeps the lines before the damage, and goes on', async () => {
    writeFileSync(join(dir, '2025-11-21.log.gz'), Buffer.from('this is not gzip at all\n'));
    const many = Array.from({ length: 5000 }, (_, n) => `line ${n} ${'x'.repeat(n % 50)}\n`).join('');
    const gz = gzipSync(many);
    writeFileSync(join(dir, '2025-11-22.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(dir, '2025-11-23.log.gz'), Buffer.alloc(0));
    write('2025-11-24.log', 'fine\n');
    const r = reader();
    await r.until('live', r.isLive);
    const errors = r.statuses.filter((s) => s.state === 'error').map((s) => s.detail);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/2025-11-21\.log\.gz is corrupt or truncated/);
    expect(errors[1]).toMatch(/2025-11-22\.log\.gz is corrupt or truncated .*kept the \d+ whole lines/);
    expect(errors[2]).toMatch(/2025-11-23\.log\.gz/);
    const partial = r.texts().filter((t) => t.startsWith('line '));
    expect(partial.length).toBeGreaterThan(100);
    expect(partial).toEqual(many.split('\n').slice(0, partial.length)); // whole lines only, in order
    expect(r.texts().at(-1)).toBe('fine');
  });

  it('reports unreadable files and reads the current one once it can', async () => {
    writeGz('2025-11-22.log.gz', 'g1\n');
    write('2025-11-23.log', 'old\n');
    write('2025-11-24.log', 'cur\n');
    for (const name of ['2025-11-22.log.gz', '2025-11-23.log', '2025-11-24.log'])
      chmodSync(join(dir, name), 0);
    // Root reads anything: the source runs as the unprivileged user `nobody` then.
    const r = process.getuid?.() === 0 ? await followAsNobody() : reader();
    await r.until('live', r.isLive);
    expect(r.statuses.filter((s) => s.state === 'error').map((s) => s.detail)).toEqual([
      'Cannot read 2025-11-22.log.gz: permission denied; skipped it',
      'Cannot read 2025-11-23.log: permission denied; skipped it',
      'Cannot read 2025-11-24.log: permission denied; trying again',
    ]);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'live', detail: 'Waiting to read 2025-11-24.log' });
    chmodSync(join(dir, '2025-11-24.log'), 0o644);
    await r.until('cur', () => r.texts().includes('cur'), 10_000);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'live', detail: 'Following 2025-11-24.log' });
    expect(r.texts()).toEqual(['cur']);
    await r.stop();
  });

  it('hands out bounded batches and few progress statuses during a large backfill', async () => {
    const text = Array.from({ length: 20_000 }, (_, n) => `entry ${n}\n`).join('');
    writeGz('2025-11-23.log.gz', text);
    write('2025-11-24.log', text);
    const r = reader();
    await r.until('live', r.isLive, 10_000);
    expect(r.lines).toHaveLength(40_000);
    const batches = r.events.filter((e) => e.type === 'lines');
    expect(Math.max(...batches.map((b) => b.lines.length))).toBeLessThanOrEqual(MAX_BATCH_LINES);
    expect(batches.every((b) => !b.live)).toBe(true);
    expect(r.statuses.filter((s) => s.state === 'backfill').length).toBeLessThan(20);
    expectOrdered(r.lines);
  });

  it('reads only as fast as it is pulled, and ends promptly on abort', async () => {
    const text = Array.from({ length: 20_000 }, (_, n) => `entry ${n}\n`).join('');
    writeGz('2025-11-23.log.gz', text);
    write('2025-11-24.log', 'current\n');
    const ac = new AbortController();
    const source = new FileSource({ dir, pollMs: POLL_MS });
    const it = source.read({ signal: ac.signal })[Symbol.asyncIterator]();
    let lines = 0;
    while (lines < 1000) {
      const { value } = await it.next();
      if (value?.type === 'lines') lines += value.lines.length;
    }
    await sleep(50); // nothing pulls: the source must not run ahead
    const { value } = await it.next();
    expect(value?.type === 'lines' ? value.lines[0]!.text : value?.status.state).toMatch(
      /entry 1000|backfill/,
    );
    await it.return?.(undefined);

    // Abort while it waits in live mode, and while it waits for a missing directory: at once, not at the end
    // of its wait (a minute here), however loaded the machine.
    for (const path of [dir, join(dir, 'missing')]) {
      const r = reader({ path, pollMs: 60_000 });
      await r.until('live or waiting', () =>
        r.statuses.some((s) => s.state === 'live' || s.state === 'waiting'),
      );
      const started = Date.now();
      await r.stop();
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    ac.abort();
  });
});
