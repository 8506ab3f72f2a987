// Retention and reset: pruning old entries in bounded batches (tasks, invoices and their paid notices are kept
// unless asked), and clearing the history.
import { unwrap } from 'idb';
import { CURSOR_KEY, EPOCH_KEY, PRUNED_BEFORE_KEY, epochOf } from './apply.ts';
import { BLOCK_ENTRIES, blockOf, timeKeys } from './blocks.ts';
import { inTransaction, primaryKeys, writing } from './idb.ts';
import { ALL_STORES, type TruwatchDb } from './schema.ts';

export interface PruneOptions {
  /** Also delete tasks first seen before the cutoff (default: kept). */
  tasks?: boolean;
  /** Also delete invoices, and paid notices, from before the cutoff (default: kept). */
  invoices?: boolean;
  /** Records deleted per transaction, so ingest and pages are never blocked for long. */
  batchSize?: number;
}

export interface PruneResult {
  entries: number;
  tasks: number;
  invoices: number;
  payments: number;
}

/** Deletes the records whose `index` is below the cutoff, a batch per transaction. */
async function drain(
  db: TruwatchDb,
  name: 'tasks' | 'invoices' | 'payments',
  index: 'firstSeenMs' | 'tsMs',
  cutoff: number,
  batchSize: number,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await inTransaction(writing(db, [name]), async (tx) => {
      const store = tx.objectStore(name);
      const below = IDBKeyRange.upperBound(cutoff, true);
      const keys = await primaryKeys<string>(unwrap(store).index(index), below, { limit: batchSize });
      await Promise.all(keys.map((key) => store.delete(key)));
      return keys.length;
    });
    deleted += n;
    if (n < batchSize) return deleted;
  }
}

/**
 * Deletes the entries older than the cutoff, about `batchSize` per transaction: the blocks all older, and the older
 * part of a block that straddles the cutoff.
 */
async function pruneBlocks(db: TruwatchDb, cutoff: number, batchSize: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await inTransaction(writing(db, ['blocks']), async (tx) => {
      const keys = await timeKeys(tx, IDBKeyRange.upperBound([cutoff], true), {
        limit: Math.ceil(batchSize / BLOCK_ENTRIES),
      });
      const blocks = tx.objectStore('blocks');
      await Promise.all(keys.map((k) => blocks.delete(k[2])));
      return keys.reduce((sum, k) => sum + k[3], 0);
    });
    deleted += n;
    if (!n) break;
  }
  const straddling = await timeKeys(db, IDBKeyRange.lowerBound([cutoff]));
  for (const [, fromMs, first] of straddling) {
    if (fromMs >= cutoff) continue;
    deleted += await inTransaction(writing(db, ['blocks']), async (tx) => {
      const blocks = tx.objectStore('blocks');
      const block = await blocks.get(first);
      if (!block) return 0;
      const kept = block.entries.filter((e) => e.tsMs >= cutoff);
      await blocks.delete(first);
      if (kept.length) await blocks.put(blockOf(kept));
      return block.entries.length - kept.length;
    });
  }
  return deleted;
}

/** Deletes entries older than the cutoff (ms), a batch per transaction; tasks, invoices and notices stay by default. */
export async function pruneEntries(
  db: TruwatchDb,
  olderThanMs: number,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const size = Math.max(1, options.batchSize ?? 2_000);
  await inTransaction(writing(db, ['meta']), async (tx) => {
    const meta = tx.objectStore('meta');
    const before = (await meta.get(PRUNED_BEFORE_KEY))?.value;
    if (typeof before !== 'number' || before < olderThanMs)
      await meta.put({ key: PRUNED_BEFORE_KEY, value: olderThanMs });
  });
  return {
    entries: await pruneBlocks(db, olderThanMs, size),
    tasks: options.tasks ? await drain(db, 'tasks', 'firstSeenMs', olderThanMs, size) : 0,
    invoices: options.invoices ? await drain(db, 'invoices', 'tsMs', olderThanMs, size) : 0,
    // A notice comes after its invoice: one older than the cutoff is for an invoice pruned (or never seen).
    payments: options.invoices ? await drain(db, 'payments', 'tsMs', olderThanMs, size) : 0,
  };
}

/**
 * Deletes the history: entries, tasks, invoices, paid notices, node state and the stream cursor (so the next connection
 * backfills from the start), and moves the history's generation on, so a stream still open from before refuses
 * to write (apply.ts, EPOCH_KEY). Settings in `meta` stay unless `keepSettings` is false.
 */
export async function clearAll(db: TruwatchDb, options: { keepSettings?: boolean } = {}): Promise<void> {
  await inTransaction(writing(db, ALL_STORES), async (tx) => {
    const meta = tx.objectStore('meta');
    const epoch = epochOf((await meta.get(EPOCH_KEY))?.value) + 1;
    await Promise.all(
      (['blocks', 'tasks', 'invoices', 'payments', 'node'] as const).map((name) =>
        tx.objectStore(name).clear(),
      ),
    );
    if (options.keepSettings === false) await meta.clear();
    else await Promise.all([meta.delete(CURSOR_KEY), meta.delete(PRUNED_BEFORE_KEY)]);
    await meta.put({ key: EPOCH_KEY, value: epoch });
  });
}
