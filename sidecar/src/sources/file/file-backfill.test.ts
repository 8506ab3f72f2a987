// The file source reads a log directory's history (backfill): .log.gz days, then the current .log, in reading
// order, with byte-offset cursors, CRLF lines, bounded batches and few progress statuses.
import { describe, expect, it } from 'vitest';
import { cursorAt as c, expectOrdered, useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { MAX_BATCH_LINES } from '../source.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

describe('FileSource: backfill', () => {
  it('reads gz days, then the current log, in date order with byte-offset cursors', async () => {
    logs.writeGz('2025-11-23.log.gz', 'b1\nb2'); // the last line of a finished file counts without "\n"
    logs.writeGz('2025-11-22.log.gz', 'a1\na22\n');
    logs.write('2025-11-24.log', 'c1\nc2\n');
    logs.write('2025-11-24-audit.json', '{}');
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

  it('splits CRLF lines and counts their bytes in the offsets', async () => {
    logs.writeGz('2025-11-23.log.gz', 'a\r\nbb\r\n');
    logs.write('2025-11-24.log', 'c\r\n\r\nd\r\n');
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

  it('hands out bounded batches and few progress statuses during a large backfill', async () => {
    const text = Array.from({ length: 20_000 }, (_, n) => `entry ${n}\n`).join('');
    logs.writeGz('2025-11-23.log.gz', text);
    logs.write('2025-11-24.log', text);
    const r = reader();
    await r.until('live', r.isLive, 10_000);
    expect(r.lines).toHaveLength(40_000);
    const batches = r.events.filter((e) => e.type === 'lines');
    expect(Math.max(...batches.map((b) => b.lines.length))).toBeLessThanOrEqual(MAX_BATCH_LINES);
    expect(batches.every((b) => !b.live)).toBe(true);
    expect(r.statuses.filter((s) => s.state === 'backfill').length).toBeLessThan(20);
    expectOrdered(r.lines);
  });
});
