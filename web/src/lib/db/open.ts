// Opening the monitor database: creating it, or bringing a database at any earlier layout (as Dexie created it)
// to the current one (schema.ts), moving its entries into blocks on the way.
import { openDB, unwrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { BLOCK_ENTRIES, blocksOf } from './blocks.ts';
import { mergePayments, paymentRecord, withPayment } from './derive.ts';
import { createStore, request, values } from './idb.ts';
import {
  ALL_STORES,
  BLOCK_INDEXES,
  PAID_INDEX,
  STORES,
  VERSION,
  type EntryBlock,
  type InvoiceRecord,
  type PaymentRecord,
  type StoredEntry,
  type StoreName,
  type TruwatchDb,
  type TruwatchSchema,
} from './schema.ts';

export interface OpenOptions {
  /** Called when the connection closed by itself: another tab upgrades or deletes the database, or the browser
   * closed it. Open again to go on. */
  onClose?: () => void;
}

/**
 * Opens the database, creating it or bringing a database Dexie created at any earlier version to the current
 * layout. A database at a later version (a newer app in another tab) opens as it is when it has our stores.
 */
export async function openTruwatchDb(name = 'truwatch', options: OpenOptions = {}): Promise<TruwatchDb> {
  let db: TruwatchDb;
  try {
    db = await openDB<TruwatchSchema>(name, VERSION, {
      upgrade,
      blocking: () => close(),
      terminated: () => gone(),
    });
  } catch (error) {
    if ((error as DOMException | undefined)?.name !== 'VersionError') throw error;
    db = await openDB<TruwatchSchema>(name, undefined, { blocking: () => close(), terminated: () => gone() });
    const missing = ALL_STORES.filter((store) => !db.objectStoreNames.contains(store));
    if (missing.length) {
      db.close();
      throw new Error(`the database ${name} is at version ${db.version} without ${missing.join(', ')}`, {
        cause: error,
      });
    }
  }
  function close() {
    db.close();
    gone();
  }
  function gone() {
    options.onClose?.();
  }
  return db;
}

function upgrade(
  db: IDBPDatabase<TruwatchSchema>,
  oldVersion: number,
  _newVersion: number | null,
  tx: IDBPTransaction<TruwatchSchema, StoreName[], 'versionchange'>,
): void {
  const raw = unwrap(db);
  const rawTx = unwrap(tx);
  // A failed upgrade fails the open (openDB rejects); nobody else waits for the transaction.
  tx.done.catch(() => undefined);
  if (oldVersion < 10) {
    for (const [store, spec] of Object.entries(STORES)) createStore(raw, store, spec);
    return;
  }
  // Dexie's versions 1–3: tasks, invoices, node and meta are as they are now.
  let moved = Promise.resolve();
  if (oldVersion < 30) {
    createStore(raw, 'blocks', BLOCK_INDEXES);
    moved = moveEntriesIntoBlocks(rawTx.objectStore('entries'), rawTx.objectStore('blocks')).then(() =>
      raw.deleteObjectStore('entries'),
    );
  } else if (raw.objectStoreNames.contains('entries')) {
    // Version 30 moved the entries into blocks and left their store empty.
    raw.deleteObjectStore('entries');
  }
  if (oldVersion < 50) {
    createStore(raw, 'payments', STORES.payments);
    rawTx.objectStore('invoices').createIndex(PAID_INDEX, PAID_INDEX.slice(1, -1).split('+'));
    moved = moved.then(() =>
      storePayments(
        rawTx.objectStore('blocks'),
        rawTx.objectStore('invoices'),
        rawTx.objectStore('payments'),
      ),
    );
  }
  moved.catch(() => {
    try {
      rawTx.abort(); // The open fails; the database stays as it was.
    } catch {
      // Already aborted.
    }
  });
}

const PAGE = 500;

/**
 * Upgrade to 50 (in the upgrade's transaction, raw IndexedDB): the invoice_paid notices the stored entries hold
 * (plain messages then) into the payments store, a page of blocks at a time, then every invoice marked paid or
 * unpaid from it.
 */
async function storePayments(
  blocks: IDBObjectStore,
  invoices: IDBObjectStore,
  payments: IDBObjectStore,
): Promise<void> {
  for (let after: string | undefined; ;) {
    const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true);
    const page = await values<EntryBlock>(blocks, range, { limit: 20 });
    if (!page.length) break;
    for (const block of page)
      for (const e of block.entries) {
        const pay = paymentRecord(e);
        if (!pay) continue;
        const cur = (await request(payments.get(pay.key))) as PaymentRecord | undefined;
        await request(payments.put(cur ? mergePayments(cur, pay) : pay));
      }
    after = page.at(-1)!.first;
  }
  for (let after: string | undefined; ;) {
    const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true);
    const page = await values<InvoiceRecord>(invoices, range, { limit: PAGE });
    if (!page.length) break;
    for (const inv of page) {
      const pay = (await request(payments.get(inv.key))) as PaymentRecord | undefined;
      await request(invoices.put(withPayment(inv, pay)));
    }
    after = page.at(-1)!.key;
  }
}

/**
 * Upgrade to blocks (in the upgrade's transaction, raw IndexedDB): the entries of the old store, read in cursor
 * order a page at a time, then emptied.
 */
async function moveEntriesIntoBlocks(entries: IDBObjectStore, blocks: IDBObjectStore): Promise<void> {
  for (let after: string | undefined; ;) {
    const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true);
    const page = await values<StoredEntry>(entries, range, { limit: BLOCK_ENTRIES * 20 });
    if (!page.length) break;
    const added = blocksOf(page).map((block) => blocks.add(block));
    await new Promise((resolve, reject) => {
      const last = added.at(-1)!;
      last.onsuccess = resolve;
      last.onerror = () => reject(last.error);
    });
    after = page.at(-1)!.id;
  }
  await new Promise((resolve, reject) => {
    const cleared = entries.clear();
    cleared.onsuccess = resolve;
    cleared.onerror = () => reject(cleared.error);
  });
}
