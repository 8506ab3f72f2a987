import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { countEntries, listEntries } from './entry-list.ts';
import { STORES_V1, TruwatchDb, type StoredEntry } from './schema.ts';

const entry = (n: number, kind: StoredEntry['kind'], level: string): StoredEntry => ({
  id: `f.m.${String(n).padStart(8, '0')}`,
  ts: new Date(Date.UTC(2025, 10, 24) + n * 1000).toISOString(),
  tsMs: Date.UTC(2025, 10, 24) + n * 1000,
  level,
  kind,
  message: `line ${n}`,
  stream: 'stdout',
});

describe('TruwatchDb upgrade', () => {
  it('opens a version 1 store with its entries moved into blocks, and the Logs filters find them', async () => {
    const name = `upgrade-${Math.random()}`;
    const v1 = new Dexie(name);
    v1.version(1).stores(STORES_V1);
    const entries = [
      entry(1, 'message', 'info'),
      entry(2, 'message', 'warn'),
      entry(3, 'raw', 'info'),
      entry(4, 'message', 'debug'),
      entry(5, 'slot.acquired', 'info'),
    ];
    await v1.table('entries').bulkPut(entries);
    v1.close();

    const db = new TruwatchDb(name);
    const ids = (rows: StoredEntry[]) => rows.map((e) => Number(e.id.slice(-8)));
    expect(ids(await listEntries(db, { kinds: ['message'] }))).toEqual([4, 2, 1]);
    expect(ids(await listEntries(db, { levels: ['info'] }))).toEqual([5, 3, 1]);
    expect(ids(await listEntries(db, { kinds: ['message', 'raw'], levels: ['info', 'debug'] }))).toEqual([
      4, 3, 1,
    ]);
    expect(await countEntries(db, { kinds: ['message'] })).toBe(3);
    expect(await countEntries(db, {})).toBe(5);
    expect(db.verno).toBe(4);
    expect(db.tables.map((t) => t.name)).not.toContain('entries');
    expect((await db.blocks.toArray()).map((b) => b.count)).toEqual([5]);
    db.close();
  });
});
