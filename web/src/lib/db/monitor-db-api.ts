// What pages ask of the monitor database, answered in its worker: pages call these over Comlink and never load the
// database code themselves. Writes made here are announced like the ingest's, so every page runs its queries again.
import { countStoredEntries } from './blocks.ts';
import { exportBackup, importBackup } from './backup.ts';
import { countEntries, listEntries, type EntryFilter } from './entry-list.ts';
import { clearAll, pruneEntries, type PruneOptions } from './prune.ts';
import {
  dashboardStats,
  earningsSummary,
  invoiceTotals,
  listInvoices,
  taskDetail,
  tasksPerHour,
  type DayRange,
  type InvoiceFilter,
} from './queries.ts';
import type { TruwatchDb } from './schema.ts';
import { listTasks, type TaskFilter, type TaskSort } from './task-list.ts';

/** `open` gives the open database (opened once, and again after it closed). */
export function monitorDbApi(open: () => Promise<TruwatchDb>, changed: () => void) {
  const written = async <T>(result: Promise<T>): Promise<T> => {
    try {
      return await result;
    } finally {
      changed();
    }
  };
  return {
    dashboardStats: async (day: DayRange) => dashboardStats(await open(), day),
    tasksPerHour: async (fromMs: number, toMs: number, bucketMs?: number) =>
      tasksPerHour(await open(), fromMs, toMs, bucketMs),
    taskDetail: async (executionId: string) => taskDetail(await open(), executionId),
    listTasks: async (filter?: TaskFilter, sort?: TaskSort, offset?: number, limit?: number) =>
      listTasks(await open(), filter, sort, offset, limit),
    listEntries: async (filter?: EntryFilter, offset?: number, limit?: number) =>
      listEntries(await open(), filter, offset, limit),
    countEntries: async (filter?: EntryFilter) => countEntries(await open(), filter),
    listInvoices: async (filter?: InvoiceFilter, offset?: number, limit?: number) =>
      listInvoices(await open(), filter, offset, limit),
    invoiceTotals: async (periods: DayRange[]) => invoiceTotals(await open(), periods),
    earningsSummary: async (periods: DayRange[]) => earningsSummary(await open(), periods),
    /** The node's own address from its log, which says which line items are "to this node". */
    nodeAddress: async () => (await (await open()).get('node', 'node'))?.address,
    async storedCounts() {
      const db = await open();
      const [entries, tasks, invoices, payments] = await Promise.all([
        countStoredEntries(db),
        db.count('tasks'),
        db.count('invoices'),
        db.count('payments'),
      ]);
      return { entries, tasks, invoices, payments };
    },
    exportBackup: async () => exportBackup(await open()),
    importBackup: async (input: unknown) => written(importBackup(await open(), input)),
    pruneEntries: async (olderThanMs: number, options?: PruneOptions) =>
      written(pruneEntries(await open(), olderThanMs, options)),
    clearAll: async (options?: { keepSettings?: boolean }) => written(clearAll(await open(), options)),
  };
}

export type MonitorDbApi = ReturnType<typeof monitorDbApi>;
