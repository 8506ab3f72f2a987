import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTRY_KINDS } from '../../../../protocol/node-events.ts';
import { allEntries, BLOCK_ENTRIES, countStoredEntries, getEntry, putEntries } from './blocks.ts';
import { countEntries, listEntries, type EntryFilter } from './entry-list.ts';
import { inTransaction, writing } from './idb.ts';
import type { StoredEntry, TruwatchDb } from './schema.ts';
import { chunks, deleteDb, freshDb, seededRandom, shuffled } from '../../../../test/support/monitor-db.ts';

const T0 = Date.UTC(2025, 10, 24);
const LEVELS = ['info', 'debug', 'warn', 'error'];

/** Entries with ordered cursors whose times go back and forth (several sources, clock steps), and repeat. */
function entries(n: number, seed: number): StoredEntry[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    // A stretch written with a clock 400 s behind: whole blocks older than the blocks before them.
    const skew = i >= 900 && i < 1_300 ? -400_000 : 0;
    const tsMs =
      T0 + Math.floor(i / 3) * 1000 + skew + (random() < 0.1 ? -Math.floor(random() * 90) * 1000 : 0);
    return {
      id: `o.${String(i * 2).padStart(12, '0')}`,
      ts: new Date(tsMs).toISOString(),
      tsMs,
      level: LEVELS[Math.floor(random() * LEVELS.length)]!,
      kind: ENTRY_KINDS[Math.floor(random() * 5)]!,
      message: `line ${i}${random() < 0.2 ? ' needle' : ''}`,
      stream: 'stdout',
      ...(random() < 0.6 && { executionId: `exec-${Math.floor(i / 12)}` }),
    };
  });
}

const longer = (a: StoredEntry, b: StoredEntry) => (b.text?.length ?? 0) > (a.text?.length ?? 0);

async function blockRanges(db: TruwatchDb) {
  return (await db.getAll('blocks')).map((b) => ({
    first: b.first,
    last: b.last,
    count: b.count,
    ids: b.entries,
  }));
}

describe('entry blocks', () => {
  let db: TruwatchDb | undefined;
  afterEach(async () => {
    await deleteDb(db);
    db = undefined;
  });

  it('stores shuffled batches with re-sends and gaps once each, in disjoint blocks', async () => {
    db = await freshDb();
    const all = entries(1_500, 1);
    // The odd cursors come later, into the ranges of blocks already stored.
    const late = all
      .filter((_, i) => i % 7 === 3)
      .map((e) => ({ ...e, id: `${e.id.slice(0, -1)}${Number(e.id.at(-1)) + 1}` }));
    const first = all.filter((_, i) => i % 7 !== 3);
    const batches = [...chunks(first, 230), ...chunks(shuffled(late, 2), 40), chunks(first, 230)[2]!];
    for (const batch of batches)
      await inTransaction(writing(db, ['blocks']), (tx) => putEntries(tx, batch, longer));

    const expected = [...first, ...late].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect((await allEntries(db)).map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(await countStoredEntries(db)).toBe(expected.length);
    const blocks = await blockRanges(db);
    for (const [i, b] of blocks.entries()) {
      expect(b.count).toBe(b.ids.length);
      expect(b.first).toBe(b.ids[0]!.id);
      expect(b.last).toBe(b.ids.at(-1)!.id);
      if (i > 0) expect(b.first > blocks[i - 1]!.last).toBe(true);
    }
    // New cursors fill blocks of BLOCK_ENTRIES; only the entries that came late into a range made one bigger.
    expect(blocks.filter((b) => b.count > BLOCK_ENTRIES).length).toBeLessThanOrEqual(late.length);
    expect(blocks.length).toBeLessThan(expected.length / 50);
  });

  it('replaces a stored entry only when the rule says so, and reports what it replaced', async () => {
    db = await freshDb();
    const all = entries(300, 3);
    await inTransaction(writing(db, ['blocks']), (tx) => putEntries(tx, all, longer));
    const grown = { ...all[150]!, text: 'more' };
    const shrunk = { ...all[151]!, message: 'other' };
    const result = await inTransaction(writing(db, ['blocks']), (tx) =>
      putEntries(tx, [grown, shrunk], longer),
    );
    expect(result.written).toEqual([grown]);
    expect(result.replaced).toEqual([all[150]]);
    expect(result.unchanged).toBe(1);
    expect(await getEntry(db, grown.id)).toEqual(grown);
    expect(await getEntry(db, shrunk.id)).toEqual(all[151]);
    expect(await getEntry(db, 'o.000000000001')).toBeUndefined();
  });

  it('adds live entries one by one to the last block until it is full', async () => {
    db = await freshDb();
    for (const e of entries(BLOCK_ENTRIES + 5, 4))
      await inTransaction(writing(db, ['blocks']), (tx) => putEntries(tx, [e], longer));
    expect((await blockRanges(db)).map((b) => b.count)).toEqual([BLOCK_ENTRIES, 5]);
  });

  it('orders entries of the same time by cursor across blocks, whichever block is read first', async () => {
    db = await freshDb();
    // Two blocks ending at the same second: the first spans 5–10 s, the second (later cursors) 1–10 s, so the
    // first is read first, but its entry at 10 s comes after the second block's.
    const at = (i: number, s: number): StoredEntry => ({
      ...entries(1, 6)[0]!,
      id: `o.${String(i).padStart(12, '0')}`,
      tsMs: T0 + s * 1000,
      ts: new Date(T0 + s * 1000).toISOString(),
    });
    const first = Array.from({ length: BLOCK_ENTRIES }, (_, i) => at(i, i === 50 ? 10 : 5));
    const second = Array.from({ length: BLOCK_ENTRIES }, (_, i) => at(BLOCK_ENTRIES + i, i === 50 ? 10 : 1));
    for (const batch of [first, second])
      await inTransaction(writing(db, ['blocks']), (tx) => putEntries(tx, batch, longer));
    const top = await listEntries(db, {}, 0, 3);
    expect(top.map((e) => e.id)).toEqual([second[50]!.id, first[50]!.id, first[99]!.id]);
    expect((await listEntries(db, {}, 1, 1)).map((e) => e.id)).toEqual([first[50]!.id]);
  });

  describe('lists and counts like a scan of every entry when times are out of cursor order', () => {
    const all = entries(2_000, 5);
    const reference = (f: EntryFilter) =>
      all
        .filter(
          (e) =>
            (!f.levels || f.levels.includes(e.level)) &&
            (!f.kinds || f.kinds.includes(e.kind)) &&
            e.tsMs >= (f.fromMs ?? -Infinity) &&
            e.tsMs < (f.toMs ?? Infinity) &&
            (!f.text || e.message.includes(f.text)),
        )
        .sort((a, b) => b.tsMs - a.tsMs || (a.id < b.id ? 1 : -1))
        .map((e) => e.id);
    const cases: EntryFilter[] = [
      {},
      { levels: ['error'] },
      { kinds: [ENTRY_KINDS[1]!, ENTRY_KINDS[3]!] },
      { kinds: [ENTRY_KINDS[0]!], levels: ['info', 'warn'] },
      { fromMs: T0 + 100_000, toMs: T0 + 400_000 },
      { text: 'needle', levels: ['debug'] },
    ];
    it.each(cases)('%j', async (filter) => {
      db = await freshDb();
      for (const batch of chunks(all, 333))
        await inTransaction(writing(db, ['blocks']), (tx) => putEntries(tx, batch, longer));
      const expected = reference(filter);
      expect(expected.length).toBeGreaterThan(10);
      expect(await countEntries(db, filter)).toBe(expected.length);
      for (const offset of [0, 7, 250, Math.floor(expected.length / 2), expected.length - 3]) {
        const rows = await listEntries(db, filter, offset, 60);
        expect(rows.map((e) => e.id)).toEqual(expected.slice(offset, offset + 60));
      }
    });
  });
});
