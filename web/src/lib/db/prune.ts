// Retention and reset: pruning old entries in bounded batches (tasks and invoices are kept unless asked), and
// clearing the history. Backups live in backup.ts and are re-exported here.
import type { Table } from 'dexie';
import { CURSOR_KEY } from './apply.ts';
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

/** Deletes entries older than the cutoff (ms), a batch per transaction; tasks and invoices stay by default. */
export async function pruneEntries(
  db: TruwatchDb,
  olderThanMs: number,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const size = Math.max(1, options.batchSize ?? 2_000);
  return {
    entries: await drain(db, db.entries, 'tsMs', olderThanMs, size),
    tasks: options.tasks ? await drain(db, db.tasks, 'firstSeenMs', olderThanMs, size) : 0,
    invoices: options.invoices ? await drain(db, db.invoices, 'tsMs', olderThanMs, size) : 0,
  };
}

/**
 * Deletes the history: entries, tasks, invoices, node state and the stream cursor (so the next connection
 * backfills from the start). Settings in `meta` stay unless `keepSettings` is false.
 */
export async function clearAll(db: TruwatchDb, options: { keepSettings?: boolean } = {}): Promise<void> {
  await db.transaction('rw', [db.entries, db.tasks, db.invoices, db.node, db.meta], async () => {
    await Promise.all([db.entries.clear(), db.tasks.clear(), db.invoices.clear(), db.node.clear()]);
    if (options.keepSettings === false) await db.meta.clear();
    else await db.meta.delete(CURSOR_KEY);
  });
}
