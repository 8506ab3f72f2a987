// The file source follows the current .log through the runner's rotations: a new day's file (the old one left
// to settle first), a new file under the same name, and truncation in place (copytruncate, the rest of the old
// text then taken from the day's new .log.gz), without losing or doubling a line, cursors increasing.
import { readFileSync, renameSync, truncateSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cursorAt as c, expectOrdered, useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { NO_DATE } from './scan.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

describe('FileSource: rotation and truncation', () => {
  it('switches to the new day at rotation without losing or doubling lines', async () => {
    logs.writeGz('2025-11-23.log.gz', 'old\n');
    logs.write('2025-11-24.log', 'x1\n');
    const r = reader();
    await r.until('live', r.isLive);
    logs.append('2025-11-24.log', 'x2\nx3\n');
    // The runner opens the next day's file, flushes a last line to the old one, then gzips it and removes it.
    logs.write('2025-11-25.log', 'y1\n');
    logs.append('2025-11-24.log', 'x4 late\n');
    logs.writeGz('2025-11-24.log.gz', readFileSync(logs.file('2025-11-24.log'), 'utf8'));
    unlinkSync(logs.file('2025-11-24.log'));
    await r.until('y1', () => r.texts().includes('y1'));
    logs.append('2025-11-25.log', 'y2\n');
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
    logs.write('2025-11-24.log', 'x1\n');
    // Scans every 500 ms: it sees the new file within ~500 ms, and switches 1 s later at the earliest. The
    // late write comes after it saw the new file, with 400 ms to spare for a loaded machine's pauses.
    const r = reader({ pollMs: 500 });
    await r.until('live', r.isLive);
    logs.write('2025-11-25.log', 'y1\n');
    await sleep(600);
    logs.append('2025-11-24.log', 'x2 flushed late\n');
    await r.until('y1', () => r.texts().includes('y1'));
    expect(r.texts()).toEqual(['x1', 'x2 flushed late', 'y1']);
    expectOrdered(r.lines);
  });

  it('follows a new file under the same name as the next generation', async () => {
    logs.write('worker.log', 'w1\n');
    const r = reader();
    await r.until('live', r.isLive);
    renameSync(logs.file('worker.log'), logs.file('worker.log.1'));
    logs.append('worker.log.1', 'w2\n');
    logs.write('worker.log', 'n1\n');
    await r.until('n1', () => r.texts().includes('n1'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c(NO_DATE, 0), 'w1'],
      [c(NO_DATE, 3), 'w2'],
      [c(NO_DATE, 0, 1), 'n1'],
    ]);
  });

  it('reads a file truncated in place from its start again, with increasing cursors', async () => {
    logs.write('2025-11-24.log', 'a1\na2\n');
    const r = reader();
    await r.until('live', r.isLive);
    truncateSync(logs.file('2025-11-24.log'), 0);
    logs.append('2025-11-24.log', 'b1\n');
    await r.until('b1', () => r.texts().includes('b1'));
    logs.append('2025-11-24.log', 'b2\n');
    await r.until('b2', () => r.texts().includes('b2'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c('2025-11-24', 0), 'a1'],
      [c('2025-11-24', 3), 'a2'],
      [c('2025-11-24', 0, 1), 'b1'],
      [c('2025-11-24', 3, 1), 'b2'],
    ]);
    // A restart resuming after the last line keeps the generation: later lines are after it.
    await r.stop();
    logs.append('2025-11-24.log', 'b3\n');
    const resumed = reader({ after: c('2025-11-24', 3, 1) });
    await resumed.until('b3', () => resumed.texts().includes('b3'));
    expect(resumed.lines.filter((l) => l.cursor > c('2025-11-24', 3, 1)).map((l) => l.text)).toEqual(['b3']);
  });

  it('takes the rest of a copied-and-truncated file from its new .log.gz', async () => {
    logs.write('2025-11-24.log', 'p1\np2 par');
    const r = reader();
    await r.until('live', r.isLive);
    await r.until('p1', () => r.texts().includes('p1'));
    logs.writeGz('2025-11-24.log.gz', 'p1\np2 partial\nq1\n');
    truncateSync(logs.file('2025-11-24.log'), 0);
    logs.append('2025-11-24.log', 'n1\n');
    await r.until('n1', () => r.texts().includes('n1'));
    expect(r.lines.map((l) => [l.cursor, l.text])).toEqual([
      [c('2025-11-24', 0), 'p1'],
      [c('2025-11-24', 3), 'p2 partial'],
      [c('2025-11-24', 14), 'q1'],
      [c('2025-11-24', 0, 1), 'n1'],
    ]);
  });
});
