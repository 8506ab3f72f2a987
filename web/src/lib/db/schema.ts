// The monitor database's schema: its records (the entries the sidecar streamed, stored in blocks of consecutive
// cursors, and what is derived from them: tasks, invoices, node state), its layout on disk, and the types of the
// open database and its transactions. Opening it and upgrading older layouts: open.ts.
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { Entry, Invoice, Metrics, Outcome, Status, TaskKind } from '../../../../protocol/node-events.ts';

/** An entry as stored: the contract's entry plus its time as a number, for range queries. */
export interface StoredEntry extends Entry {
  tsMs: number;
}

export type TaskStatus = 'received' | 'running' | Outcome;

/** One task execution, derived from its entries. Fields the entries did not say are absent. */
export interface TaskRecord {
  executionId: string;
  status: TaskStatus;
  /** First time an entry of this execution was seen (ms since epoch): the task's time in lists and charts. */
  firstSeenMs: number;
  receivedMs?: number;
  downloadedMs?: number;
  startedMs?: number;
  metricsMs?: number;
  publishedMs?: number;
  finishedMs?: number;
  taskId?: string;
  chainId?: string;
  blockNumber?: number;
  kind?: TaskKind;
  path?: string;
  metrics?: Metrics;
  /** Copied from metrics for indexes and sorting. */
  elapsedMs?: number;
  steps?: number;
  invoiceId?: string;
  /** Cursor of the entry that finished it. */
  finishedBy?: string;
}

export interface InvoiceRecord extends Invoice {
  /** The invoice id, or the entry's cursor when the runner gave none. */
  key: string;
  tsMs: number;
  /**
   * UTC day `YYYY-MM-DD` (indexed, and in backups). The pages do not use it: their days are midnight to midnight
   * in the zone they show (app/day.ts), asked for as `tsMs` ranges.
   */
  day: string;
  entryId: string;
  /**
   * Whether a paid notice for this invoice is stored (the `[paid+tsMs]` index lists each side in time order),
   * and from it, when it was paid and by which transaction. Derived from the payments store in either order of
   * arrival (derive.ts withPayment).
   */
  paid: PaidState;
  paidMs?: number;
  txHash?: string;
}

export type PaidState = 'paid' | 'unpaid';

/**
 * A runner's invoice_paid notice, keyed by the invoice it names: kept on its own, so a notice that comes before its
 * invoice (or for an invoice pruned or never seen) links as soon as the invoice is stored.
 */
export interface PaymentRecord {
  /** The invoice id. */
  key: string;
  /** When the notice was written. */
  tsMs: number;
  /** The transaction hash, when the notice named one: the operator's own, never federated. */
  txHash?: string;
  entryId: string;
}

/** Which entry a "latest wins" fact came from: the later (atMs, entryId) wins, so any order gives the same. */
export interface Stamp {
  atMs: number;
  entryId: string;
}

/**
 * Up to BLOCK_ENTRIES entries of consecutive cursors as one record. One record per entry cost about 80 µs per
 * entry and more per index: most of a backfill's time. Block ranges never overlap: a cursor belongs to at most
 * one block's [first, last]. The indexed fields answer the queries without reading entries.
 */
export interface EntryBlock {
  /** The smallest cursor in the block: its key. */
  first: string;
  /** The largest cursor. */
  last: string;
  /** The earliest and latest entry time (entry times need not follow cursor order). */
  fromMs: number;
  toMs: number;
  count: number;
  /** How many entries of each kind and level: `[kind, level, count]`, one per pair present. */
  facets: [string, string, number][];
  /** The executions that have entries here. */
  executions: string[];
  /** Sorted by cursor. */
  entries: StoredEntry[];
}

/** The node as the latest entries and statuses describe it: one row, key 'node'. */
export interface NodeRecord {
  key: 'node';
  /** The latest status event of the stream (not derived from entries). */
  status?: Status;
  /** From the latest `worker-runner-node` entry that carried a version / an address. */
  runnerVersion?: string;
  runnerVersionAt?: Stamp;
  address?: string;
  addressAt?: Stamp;
  /** From the latest slot entry that said how many slots are in use. */
  slots?: { active?: number; total?: number; atMs: number; entryId: string };
  lastEntryMs?: number;
}

/** Small key/value settings and bookkeeping: the stream cursor, the sidecar URL, retention, … */
export interface MetaRecord {
  key: string;
  value: unknown;
}

/**
 * The layout on disk is the one Dexie created, when Dexie still opened this database: it is written as Dexie-style
 * specs (see createStore in idb.ts), so existing databases open as they are. Dexie's version n is IndexedDB
 * version 10 × n.
 *
 * The first schema. Compound indexes serve a filter and the time order at once: [status+firstSeenMs] lists one
 * status newest first, [status+finishedMs] counts outcomes in a time range.
 */
export const STORES_V1 = {
  entries: 'id, tsMs, executionId, [kind+tsMs], [level+tsMs]',
  tasks:
    'executionId, firstSeenMs, finishedMs, elapsedMs, steps, taskId, ' +
    '[status+firstSeenMs], [status+finishedMs], [chainId+firstSeenMs], [kind+firstSeenMs]',
  invoices: 'key, tsMs, day, executionId',
  node: 'key',
  meta: 'key',
} as const;

/**
 * The block indexes: `last` finds the blocks a cursor range touches; `[toMs+fromMs+first+count]` orders them newest
 * first and gives their time span and size without reading them; facets and executions find the blocks a filter
 * or a task needs.
 */
export const BLOCK_INDEXES = 'first, last, [toMs+fromMs+first+count], *facets, *executions';

/** The index that lists blocks by time, with their span and size. */
export const TIME_INDEX = '[toMs+fromMs+first+count]';
export type TimeKey = [toMs: number, fromMs: number, first: string, count: number];

/** The invoices' index of paid and unpaid ones by time, added at version 50. */
export const PAID_INDEX = '[paid+tsMs]';

/**
 * The history of the layout (IndexedDB versions): 10 the first (STORES_V1); 20 one [kind+level+tsMs] index on
 * entries instead of [kind+tsMs] and [level+tsMs] (every index of an entry cost on every write); 30 entries move
 * into blocks; 40 the emptied entries store is dropped; 50 the payments store (invoice_paid notices) and the
 * invoices' [paid+tsMs] index, the notices already stored as plain messages read into it. The current layout:
 * STORES.
 */
export const VERSION = 50;
export const STORES = {
  blocks: BLOCK_INDEXES,
  tasks: STORES_V1.tasks,
  invoices: `${STORES_V1.invoices}, ${PAID_INDEX}`,
  payments: 'key, tsMs',
  node: STORES_V1.node,
  meta: STORES_V1.meta,
} as const;

type Key = string;
export interface TruwatchSchema extends DBSchema {
  blocks: {
    key: Key;
    value: EntryBlock;
    indexes: {
      last: Key;
      '[toMs+fromMs+first+count]': TimeKey;
      facets: [string, string, number];
      executions: Key;
    };
  };
  tasks: {
    key: Key;
    value: TaskRecord;
    indexes: {
      firstSeenMs: number;
      finishedMs: number;
      elapsedMs: number;
      steps: number;
      taskId: Key;
      '[status+firstSeenMs]': [string, number];
      '[status+finishedMs]': [string, number];
      '[chainId+firstSeenMs]': [string, number];
      '[kind+firstSeenMs]': [string, number];
    };
  };
  invoices: {
    key: Key;
    value: InvoiceRecord;
    indexes: { tsMs: number; day: string; executionId: Key; '[paid+tsMs]': [PaidState, number] };
  };
  payments: { key: Key; value: PaymentRecord; indexes: { tsMs: number } };
  node: { key: Key; value: NodeRecord };
  meta: { key: Key; value: MetaRecord };
}

export type StoreName = StoreNames<TruwatchSchema>;
export const ALL_STORES: StoreName[] = ['blocks', 'tasks', 'invoices', 'payments', 'node', 'meta'];

/** The open database. */
export type TruwatchDb = IDBPDatabase<TruwatchSchema>;
/** A transaction over some of its stores. */
export type TruwatchTx<Mode extends IDBTransactionMode = IDBTransactionMode> = IDBPTransaction<
  TruwatchSchema,
  StoreName[],
  Mode
>;
/** Where a read happens: in a transaction, or on the database (each read its own transaction). */
export type Stores = TruwatchDb | TruwatchTx;
