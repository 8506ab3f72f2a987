// Opening the monitor database: the layout it creates, and every earlier layout (as Dexie created it) brought to
// the current one with its records, read back through the queries.
import 'fake-indexeddb/auto';
import { openDB, unwrap } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import { FEDERATION_DB, FederationDb } from '../federation/worker/federation-db.ts';
import { applyEntries } from './apply.ts';
import { blocksOf, countStoredEntries } from './blocks.ts';
import { countEntries, listEntries } from './entry-list.ts';
import { createStore } from './idb.ts';
import { openTruwatchDb } from './open.ts';
import { BLOCK_INDEXES, STORES_V1, type InvoiceRecord, type StoredEntry } from './schema.ts';
import type { Entry } from '../../../../protocol/node-events.ts';
import {
  chunks,
  deleteDb,
  dump,
  generatedEntries,
  sampleEntries,
} from '../../../../test/support/monitor-db.ts';

const entry = (n: number, kind: StoredEntry['kind'], level: string): StoredEntry => ({
  id: `f.m.${String(n).padStart(8, '0')}`,
  ts: new Date(Date.UTC(2025, 10, 24) + n * 1000).toISOString(),
  tsMs: Date.UTC(2025, 10, 24) + n * 1000,
  level,
  kind,
  message: `line ${n}`,
  stream: 'stdout',
});

const ENTRIES = [
  entry(1, 'message', 'info'),
  entry(2, 'message', 'warn'),
  entry(3, 'raw', 'info'),
  entry(4, 'message', 'debug'),
  entry(5, 'slot.acquired', 'info'),
];

/** What the stores of a database are: key path, auto-increment and indexes (name: key path, * multiEntry). */
function layout(db: IDBDatabase) {
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names, 'readonly');
  return Object.fromEntries(
    names.map((name) => {
      const store = tx.objectStore(name);
      const indexes = [...store.indexNames].map((i) => {
        const index = store.index(i);
        return [i, index.keyPath, ...(index.multiEntry ? ['*'] : []), ...(index.unique ? ['unique'] : [])];
      });
      return [name, { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes }];
    }),
  );
}

// The layouts Dexie 4.4.7 created, read from databases it made (IndexedDB versions 40 and 10).
const DEXIE_V4_LAYOUT = {
  blocks: {
    keyPath: 'first',
    autoIncrement: false,
    indexes: [
      ['[toMs+fromMs+first+count]', ['toMs', 'fromMs', 'first', 'count']],
      ['executions', 'executions', '*'],
      ['facets', 'facets', '*'],
      ['last', 'last'],
    ],
  },
  invoices: {
    keyPath: 'key',
    autoIncrement: false,
    indexes: [
      ['day', 'day'],
      ['executionId', 'executionId'],
      ['tsMs', 'tsMs'],
    ],
  },
  meta: { keyPath: 'key', autoIncrement: false, indexes: [] },
  node: { keyPath: 'key', autoIncrement: false, indexes: [] },
  tasks: {
    keyPath: 'executionId',
    autoIncrement: false,
    indexes: [
      ['[chainId+firstSeenMs]', ['chainId', 'firstSeenMs']],
      ['[kind+firstSeenMs]', ['kind', 'firstSeenMs']],
      ['[status+finishedMs]', ['status', 'finishedMs']],
      ['[status+firstSeenMs]', ['status', 'firstSeenMs']],
      ['elapsedMs', 'elapsedMs'],
      ['finishedMs', 'finishedMs'],
      ['firstSeenMs', 'firstSeenMs'],
      ['steps', 'steps'],
      ['taskId', 'taskId'],
    ],
  },
};
/** Version 50: the payments store and the invoices' [paid+tsMs] index. */
const CURRENT_LAYOUT = {
  ...DEXIE_V4_LAYOUT,
  invoices: {
    ...DEXIE_V4_LAYOUT.invoices,
    indexes: [['[paid+tsMs]', ['paid', 'tsMs']], ...DEXIE_V4_LAYOUT.invoices.indexes],
  },
  payments: { keyPath: 'key', autoIncrement: false, indexes: [['tsMs', 'tsMs']] },
};
const DEXIE_FEDERATION_LAYOUT = {
  feed: { keyPath: 'id', autoIncrement: true, indexes: [['receivedMs', 'receivedMs']] },
  meta: { keyPath: 'key', autoIncrement: false, indexes: [] },
  outbox: {
    keyPath: 'executionId',
    autoIncrement: false,
    indexes: [
      ['[state+finishedMs]', ['state', 'finishedMs']],
      ['finishedMs', 'finishedMs'],
    ],
  },
  sent: { keyPath: 'id', autoIncrement: true, indexes: [['atMs', 'atMs']] },
};
/** Federation's layout now: Dexie's, and the token stock (IndexedDB version 11). */
const FEDERATION_LAYOUT = {
  ...DEXIE_FEDERATION_LAYOUT,
  tokens: { keyPath: 'id', autoIncrement: true, indexes: [['[kind+notBeforeMs]', ['kind', 'notBeforeMs']]] },
};

/** The stores as Dexie declared them at its versions 1–3 (IndexedDB versions 10–30). */
const STORES_V2 = { ...STORES_V1, entries: 'id, tsMs, executionId, [kind+level+tsMs]' };
const STORES_V3 = { ...STORES_V2, blocks: BLOCK_INDEXES };

/** A database as an earlier version left it, made with IndexedDB itself; `fill` writes into its stores. */
async function oldDb(
  name: string,
  version: number,
  stores: Record<string, string>,
  fill: (tx: IDBTransaction) => void,
): Promise<void> {
  const db = await openDB(name, version, {
    upgrade(db, _old, _new, tx) {
      for (const [store, spec] of Object.entries(stores)) createStore(unwrap(db), store, spec);
      fill(unwrap(tx));
    },
  });
  db.close();
}

const names: string[] = [];
const fresh = () => {
  names.push(`upgrade-${Math.random().toString(36).slice(2)}`);
  return names.at(-1)!;
};
afterEach(async () => {
  for (const name of names.splice(0)) indexedDB.deleteDatabase(name);
});

const ids = (rows: StoredEntry[]) => rows.map((e) => Number(e.id.slice(-8)));

/** Entries as a sidecar before the invoice.paid kind sent them: the paid notice a plain message. */
const legacy = <E extends Entry>(entries: E[]): E[] =>
  entries.map((e) => {
    if (e.kind !== 'invoice.paid') return e;
    const { paid: _paid, ...rest } = e;
    return { ...rest, kind: 'message' } as E;
  });
/** An invoice as layouts before 50 stored it: nothing said of its payment. */
const unlinked = (inv: InvoiceRecord) => {
  const { paid: _paid, paidMs: _paidMs, txHash: _txHash, ...rest } = inv;
  return rest;
};

describe('the database layout', () => {
  it('is created as Dexie created it', async () => {
    const db = await openTruwatchDb(fresh());
    expect(db.version).toBe(50);
    expect(layout(unwrap(db))).toEqual(CURRENT_LAYOUT);
    db.close();
    const fed = await FederationDb.open(fresh());
    expect(fed.db.version).toBe(11);
    expect(layout(unwrap(fed.db))).toEqual(FEDERATION_LAYOUT);
    fed.close();
    expect(FEDERATION_DB).toBe('truwatch-federation');
  });

  it('opens a version 10 database with its entries moved into blocks, and the Logs filters find them', async () => {
    const name = fresh();
    await oldDb(name, 10, STORES_V1, (tx) => ENTRIES.forEach((e) => tx.objectStore('entries').put(e)));

    const db = await openTruwatchDb(name);
    expect(ids(await listEntries(db, { kinds: ['message'] }))).toEqual([4, 2, 1]);
    expect(ids(await listEntries(db, { levels: ['info'] }))).toEqual([5, 3, 1]);
    expect(ids(await listEntries(db, { kinds: ['message', 'raw'], levels: ['info', 'debug'] }))).toEqual([
      4, 3, 1,
    ]);
    expect(await countEntries(db, { kinds: ['message'] })).toBe(3);
    expect(await countEntries(db, {})).toBe(5);
    expect(db.version).toBe(50);
    expect(layout(unwrap(db))).toEqual(CURRENT_LAYOUT);
    expect((await db.getAll('blocks')).map((b) => b.count)).toEqual([5]);
    db.close();
  });

  it('opens version 10, 20 and 30 databases with every record, entries in blocks of 100, payments read from them', async () => {
    const entries = legacy(generatedEntries(200).entries);
    // The records a current database derives from the log: tasks, invoices and node are laid out as in version 10,
    // the invoices without their payments (read from the stored notices by the upgrade).
    const reference = await openTruwatchDb(fresh());
    for (const batch of chunks(entries, 1000)) await applyEntries(reference, batch, 'cursor-1');
    const want = await dump(reference);
    reference.close();
    expect(want.payments.length).toBeGreaterThan(10);
    expect(want.invoices.filter((i) => i.paid === 'paid')).toHaveLength(want.payments.length);
    const derived = (tx: IDBTransaction) => {
      for (const store of ['tasks', 'node', 'meta'] as const)
        for (const record of want[store]) tx.objectStore(store).put(record);
      for (const inv of want.invoices) tx.objectStore('invoices').put(unlinked(inv));
    };
    const stored = want.entries;
    expect(stored.length).toBeGreaterThan(2_000); // more than one page of the move

    for (const [version, stores, fill] of [
      [10, STORES_V1, (tx) => stored.forEach((e) => tx.objectStore('entries').put(e))],
      [20, STORES_V2, (tx) => stored.forEach((e) => tx.objectStore('entries').put(e))],
      // Version 30 had moved the entries into blocks and emptied their store.
      [30, STORES_V3, (tx) => blocksOf(stored).forEach((b) => tx.objectStore('blocks').put(b))],
    ] as [number, Record<string, string>, (tx: IDBTransaction) => void][]) {
      const name = fresh();
      await oldDb(name, version, stores, (tx) => {
        derived(tx);
        fill(tx);
      });
      const db = await openTruwatchDb(name);
      expect(db.version, `from ${version}`).toBe(50);
      expect(layout(unwrap(db)), `from ${version}`).toEqual(CURRENT_LAYOUT);
      expect(await dump(db), `from ${version}`).toEqual(want);
      expect(await countStoredEntries(db)).toBe(stored.length);
      expect(await db.getAll('blocks')).toEqual(blocksOf(stored));
      // And it goes on from there.
      await applyEntries(db, entries.slice(-500));
      expect(await dump(db)).toEqual(want);
      db.close();
    }
  });

  it('opens a version 40 database laid out as Dexie left it, with its data kept and its invoices linked to their notices', async () => {
    const reference = await openTruwatchDb(fresh());
    await applyEntries(reference, legacy(sampleEntries()), 'cursor-1');
    const want = await dump(reference);
    const blocks = await reference.getAll('blocks');
    reference.close();
    // The sample's one invoice has its notice (without a transaction hash) a few seconds later.
    expect(want.invoices).toMatchObject([{ key: 'inv-20251124-0001', paid: 'paid' }]);
    expect(want.payments).toMatchObject([
      { key: 'inv-20251124-0001', tsMs: Date.UTC(2025, 10, 24, 13, 56, 20) },
    ]);

    const name = fresh();
    const stores = { ...STORES_V1, blocks: BLOCK_INDEXES } as Record<string, string>;
    delete stores.entries;
    await oldDb(name, 40, stores, (tx) => {
      blocks.forEach((b) => tx.objectStore('blocks').put(b));
      for (const store of ['tasks', 'node', 'meta'] as const)
        for (const record of want[store]) tx.objectStore(store).put(record);
      // An invoice whose notice the log no longer holds: kept, unpaid.
      const orphan = { ...unlinked(want.invoices[0]!), key: 'inv-old', invoiceId: 'inv-old', tsMs: 5 };
      for (const inv of [...want.invoices.map(unlinked), orphan]) tx.objectStore('invoices').put(inv);
    });
    const db = await openTruwatchDb(name);
    expect(db.version).toBe(50);
    expect(layout(unwrap(db))).toEqual(CURRENT_LAYOUT);
    const got = await dump(db);
    expect(got.invoices.find((i) => i.key === 'inv-old')).toMatchObject({ paid: 'unpaid', tsMs: 5 });
    expect({ ...got, invoices: got.invoices.filter((i) => i.key !== 'inv-old') }).toEqual(want);
    expect(await db.getAll('blocks')).toEqual(blocks);
    db.close();
  });

  it('opens a database a later version made, as it is, when it has the stores', async () => {
    const name = fresh();
    await oldDb(
      name,
      60,
      { ...STORES_V1, entries: 'id', blocks: BLOCK_INDEXES, payments: 'key, tsMs' },
      (tx) => tx.objectStore('meta').put({ key: 'theme', value: 'dark' }),
    );
    const db = await openTruwatchDb(name);
    expect(db.version).toBe(60);
    expect(await db.get('meta', 'theme')).toEqual({ key: 'theme', value: 'dark' });
    await deleteDb(db);
  });

  it('closes its connection when another one upgrades the database, and says so', async () => {
    const name = fresh();
    let closed = 0;
    const db = await openTruwatchDb(name, { onClose: () => closed++ });
    // Not blocked: the open connection steps aside.
    const newer = await openDB(name, 60);
    expect(newer.version).toBe(60);
    expect(closed).toBe(1);
    newer.close();
    // Opened again, it opens the newer database as it is.
    const again = await openTruwatchDb(name);
    expect(again.version).toBe(60);
    await deleteDb(again);
    expect(db.version).toBe(50);
  });

  it('opens federation’s version 10 database with its records', async () => {
    const name = fresh();
    await oldDb(
      name,
      10,
      {
        meta: 'key',
        outbox: 'executionId, finishedMs, [state+finishedMs]',
        sent: '++id, atMs',
        feed: '++id, receivedMs',
      },
      (tx) => {
        tx.objectStore('meta').put({ key: 'periods', value: [{ fromMs: 1, toMs: null }] });
        tx.objectStore('outbox').put({ executionId: 'e1', finishedMs: 5, state: 'pending', json: '{}' });
        tx.objectStore('sent').add({ atMs: 7, subject: 's', kind: 'task', json: '{}' });
      },
    );
    const fed = await FederationDb.open(name);
    expect(layout(unwrap(fed.db))).toEqual(FEDERATION_LAYOUT);
    expect(await fed.get('periods')).toEqual([{ fromMs: 1, toMs: null }]);
    expect(await fed.db.getAll('outbox')).toHaveLength(1);
    // The auto-increment goes on after the stored ids.
    expect(await fed.db.add('sent', { atMs: 8, subject: 's', kind: 'heartbeat', json: '{}' })).toBe(2);
    fed.close();
  });
});
