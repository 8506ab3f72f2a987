import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deleteDb, freshDb, putAll, sampleEntries } from '../../../../test/support/monitor-db.ts';
import { blockOf } from './blocks.ts';
import type { StoredEntry } from './schema.ts';
import { HOUR_MS, upHours } from './up-hours.ts';

const DAY = Date.UTC(2026, 10, 21);
const at = (hour: number, minute = 0) => DAY + hour * HOUR_MS + minute * 60_000;
const template = sampleEntries()[0]!;
/** Entries at `times`, one cursor each, in cursor order. */
const entries = (times: number[], prefix: string): StoredEntry[] =>
  times.map((tsMs, i) => ({ ...template, id: `${prefix}-${String(i).padStart(4, '0')}`, tsMs }));

describe('upHours', () => {
  it('counts the hours with an entry, also inside a block that spans several hours', async () => {
    const db = await freshDb();
    await putAll(db, 'blocks', [
      blockOf(entries([at(1, 5), at(1, 59)], 'a')),
      // One block from 03:10 to 07:20 with entries at 03 and 05 and 07 only: 04 and 06 were quiet.
      blockOf(entries([at(3, 10), at(5, 30), at(7, 20)], 'b')),
      blockOf(entries([at(23, 59)], 'c')),
    ]);
    expect(await upHours(db, DAY, DAY + 24 * HOUR_MS)).toEqual([at(1), at(3), at(5), at(7), at(23)]);
    // Only the range asked: [02:00, 06:00).
    expect(await upHours(db, at(2), at(6))).toEqual([at(3), at(5)]);
    await deleteDb(db);
  });

  it('counts the hours a running container went through, up to the last entry', async () => {
    const db = await freshDb();
    await putAll(db, 'blocks', [blockOf(entries([at(2, 1), at(9, 30)], 'a'))]);
    await db.put('node', {
      key: 'node',
      lastEntryMs: at(9, 30),
      status: {
        source: 'docker',
        state: 'live',
        container: { name: 'runner-node', state: 'running', startedAt: new Date(at(4, 50)).toISOString() },
      },
    });
    // Entries at 02 and 09; running from 04:50: 04 to 09; nothing after the last entry (09:30).
    expect(await upHours(db, DAY, DAY + 24 * HOUR_MS)).toEqual([
      at(2),
      at(4),
      at(5),
      at(6),
      at(7),
      at(8),
      at(9),
    ]);
    // An exited container counts for nothing beyond its entries.
    await db.put('node', {
      key: 'node',
      lastEntryMs: at(9, 30),
      status: { source: 'docker', state: 'live', container: { name: 'runner-node', state: 'exited' } },
    });
    expect(await upHours(db, DAY, DAY + 24 * HOUR_MS)).toEqual([at(2), at(9)]);
    await deleteDb(db);
  });
});
