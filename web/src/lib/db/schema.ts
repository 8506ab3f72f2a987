// The operator's history in IndexedDB (Dexie): the entries the sidecar streamed, stored under their cursor,
// and what is derived from them (tasks, invoices, node state), written in the same transactions so the two
// can never disagree.
import { Dexie, type EntityTable } from 'dexie';
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
  /** UTC day `YYYY-MM-DD`, for totals per day. */
  day: string;
  entryId: string;
}

/** Which entry a "latest wins" fact came from: the later (atMs, entryId) wins, so any order gives the same. */
export interface Stamp {
  atMs: number;
  entryId: string;
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

export class TruwatchDb extends Dexie {
  entries!: EntityTable<StoredEntry, 'id'>;
  tasks!: EntityTable<TaskRecord, 'executionId'>;
  invoices!: EntityTable<InvoiceRecord, 'key'>;
  node!: EntityTable<NodeRecord, 'key'>;
  meta!: EntityTable<MetaRecord, 'key'>;

  constructor(name = 'truwatch') {
    super(name);
    this.version(1).stores(STORES_V1);
    // Every index of an entry costs on every write (most of a backfill's time): one [kind+level+tsMs] index serves
    // the kind and the level filters of the Logs page. IndexedDB builds it from the stored entries on upgrade.
    this.version(2).stores({ entries: 'id, tsMs, executionId, [kind+level+tsMs]' });
  }
}
