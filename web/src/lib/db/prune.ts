// Retention and reset: pruning old entries in bounded batches (tasks and invoices are kept unless asked), and
// clearing the history. Backups live in backup.ts and are re-exported here.
import type { Table } from 'dexie';
import { CURSOR_KEY } from './apply.ts';
import { BLOCK_ENTRIES, blockOf, TIME_INDEX, timeKeys } from './blocks.ts';
import type { TruwatchDb } from './schema.ts';

export { BACKUP_FORMAT, exportBackup, importBackup, isSecretMetaKey, SECRET_META_KEYS } from './backup.ts';
export type { Backup, ImportResult } from './backup.ts';

export interface PruneOptions {
  /** Also delete tasks first seen before the cutoff (default: kept). */
  tasks?: boolean;
  /** Also delete invoices from before the cutoff (default: kept). */
  invoices?: boolean;
  /** Records deleted per transaction, so ingest and pages are never blocked for long. */
  batchSize?: number;
}

export interface PruneResult {
  entries: number;
  tasks: number;
  invoices: number;
}

/** Deletes the records whose `index` is below the cutoff, a batch per transaction. */
async function drain<T, I>(
  db: TruwatchDb,
  table: Table<T, string, I>,
  index: string,
  cutoff: number,
  batchSize: number,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.transaction('rw', table, async () => {
      const keys = await table.where(index).below(cutoff).limit(batchSize).primaryKeys();
      await table.bulkDelete(keys);
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
    const n = await db.transaction('rw', db.blocks, async () => {
      const keys = await timeKeys(
        db.blocks
          .where(TIME_INDEX)
          .below([cutoff])
          .limit(Math.ceil(batchSize / BLOCK_ENTRIES)),
      );
      await db.blocks.bulkDelete(keys.map((k) => k[2]));
      return keys.reduce((sum, k) => sum + k[3], 0);
    });
    deleted += n;
    if (!n) break;
  }
  const straddling = await timeKeys(db.blocks.where(TIME_INDEX).aboveOrEqual([cutoff]));
  for (const [, fromMs, first] of straddling) {
    if (fromMs >= cutoff) continue;
    deleted += await db.transaction('rw', db.blocks, async () => {
      const block = await db.blocks.get(first);
      if (!block) return 0;
      const kept = block.entries.filter((e) => e.tsMs >= cutoff);
      await db.blocks.delete(first);
      if (kept.length) await db.blocks.put(blockOf(kept));
      return block.entries.length - kept.length;
    });
  }
  return deleted;
}

/** Deletes entries older than the cutoff (ms), a batch per transaction; tasks and invoices stay by default. */
export async function pruneEntries(
  db: TruwatchDb,
  olderThanMs: number,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const size = Math.max(1, options.batchSize ?? 2_000);
  return {
    entries: await pruneBlocks(db, olderThanMs, size),
    tasks: options.tasks ? await drain(db, db.tasks, 'firstSeenMs', olderThanMs, size) : 0,
    invoices: options.invoices ? await drain(db, db.invoices, 'tsMs', olderThanMs, size) : 0,
  };
}

/**
 * Deletes the history: entries, tasks, invoices, node state and the stream cursor (so the next connection
 * backfills from the start). Settings in `meta` stay unless `keepSettings` is false.
 */
export async function clearAll(db: TruwatchDb, options: { keepSettings?: boolean } = {}): Promise<void> {
  await db.transaction('rw', [db.blocks, db.tasks, db.invoices, db.node, db.meta], async () => {
    await Promise.all([db.blocks.clear(), db.tasks.clear(), db.invoices.clear(), db.node.clear()]);
    if (options.keepSettings === false) await db.meta.clear();
    else await db.meta.delete(CURSOR_KEY);
  });
}
