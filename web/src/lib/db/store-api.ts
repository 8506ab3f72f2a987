// What pages ask of the store, answered in the ingest worker: pages call these over Comlink and never load Dexie
// themselves. Writes made here are announced like the ingest's, so every page runs its queries again.
import { countStoredEntries } from './blocks.ts';
import { clearAll, exportBackup, importBackup, pruneEntries, type PruneOptions } from './prune.ts';
import {
  countEntries,
  dashboardStats,
  invoiceTotalsPerDay,
  listEntries,
  listInvoices,
  listTasks,
  recentActivity,
  taskDetail,
  tasksPerHour,
  type EntryFilter,
  type InvoiceFilter,
  type TaskFilter,
  type TaskSort,
} from './queries.ts';
import type { TruwatchDb } from './schema.ts';

export function storeApi(open: () => TruwatchDb, changed: () => void) {
  const written = async <T>(result: Promise<T>): Promise<T> => {
    try {
      return await result;
    } finally {
      changed();
    }
  };
  return {
    dashboardStats: (nowMs: number) => dashboardStats(open(), nowMs),
    tasksPerHour: (fromMs: number, toMs: number, bucketMs?: number) =>
      tasksPerHour(open(), fromMs, toMs, bucketMs),
    taskDetail: (executionId: string) => taskDetail(open(), executionId),
    listTasks: (filter?: TaskFilter, sort?: TaskSort, offset?: number, limit?: number) =>
      listTasks(open(), filter, sort, offset, limit),
    listEntries: (filter?: EntryFilter, offset?: number, limit?: number) =>
      listEntries(open(), filter, offset, limit),
    countEntries: (filter?: EntryFilter) => countEntries(open(), filter),
    listInvoices: (filter?: InvoiceFilter, offset?: number, limit?: number) =>
      listInvoices(open(), filter, offset, limit),
    invoiceTotalsPerDay: (fromMs: number, toMs: number) => invoiceTotalsPerDay(open(), fromMs, toMs),
    recentActivity: (nowMs: number) => recentActivity(open(), nowMs),
    async storedCounts() {
      const db = open();
      const [entries, tasks, invoices] = await Promise.all([
        countStoredEntries(db),
        db.tasks.count(),
        db.invoices.count(),
      ]);
      return { entries, tasks, invoices };
    },
    exportBackup: () => exportBackup(open()),
    importBackup: (input: unknown) => written(importBackup(open(), input)),
    pruneEntries: (olderThanMs: number, options?: PruneOptions) =>
      written(pruneEntries(open(), olderThanMs, options)),
    clearAll: (options?: { keepSettings?: boolean }) => written(clearAll(open(), options)),
  };
}

export type StoreApi = ReturnType<typeof storeApi>;
