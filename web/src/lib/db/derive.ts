// Pure folds from entries to derived records. Every merge here is a join: commutative, associative and
// idempotent, so entries applied in any order, any number of times, give the same tasks, invoices and node.
import * as v from 'valibot';
import {
  InvoicePaidSchema,
  MetricsSchema,
  type EntryKind,
  type InvoicePaid,
  type Metrics,
} from '../../../../protocol/node-events.ts';
import type { InvoiceRecord, NodeRecord, PaymentRecord, Stamp, StoredEntry, TaskRecord } from './schema.ts';

export const RUNNER_COMPONENT = 'worker-runner-node';
export const DAY_MS = 86_400_000;

/** The UTC day `YYYY-MM-DD` of a time in ms. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Orders stamps by time, then by entry id (cursors are ordered within one source). */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a.atMs - b.atMs || (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0);
}

/** Deep equality of plain data; a missing key equals an undefined one. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of Object.keys(ra)) if (!sameData(ra[k], rb[k])) return false;
  for (const k of Object.keys(rb)) if (!(k in ra) && rb[k] !== undefined) return false;
  return true;
}

type TimeKey = 'receivedMs' | 'downloadedMs' | 'startedMs' | 'metricsMs' | 'publishedMs';
const TIME_KEYS: readonly TimeKey[] = ['receivedMs', 'downloadedMs', 'startedMs', 'metricsMs', 'publishedMs'];
const TIME_BY_KIND: Partial<Record<EntryKind, TimeKey>> = {
  'task.received': 'receivedMs',
  'task.downloaded': 'downloadedMs',
  'task.started': 'startedMs',
  'task.metrics': 'metricsMs',
  'task.published': 'publishedMs',
};
const RUNNING_KINDS: ReadonlySet<EntryKind> = new Set<EntryKind>([
  'task.started',
  'task.metrics',
  'task.stderr',
  'task.published',
  'task.completed',
  'task.failed',
]);
const METRIC_KEYS = Object.keys(MetricsSchema.entries) as (keyof Metrics)[];

/** An entry that belongs to a task execution (a `task.*` entry with an executionId). */
export function isTaskEntry(e: StoredEntry): e is StoredEntry & { executionId: string } {
  return e.executionId !== undefined && e.executionId !== '' && e.kind.startsWith('task.');
}

/** The join of two optional values: the defined one, or the larger (booleans: either true). */
function join<T extends string | number | boolean>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (typeof a === 'boolean') return (a || b) as T;
  return a >= b ? a : b;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Sets only defined values, so stored records carry no undefined keys. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** Metrics field by field: a metric several entries report keeps the largest value (booleans: any true). */
export function mergeMetrics(a: Metrics | undefined, b: Metrics | undefined): Metrics | undefined {
  if (!a || !b) return a ?? b;
  const out: Metrics = {};
  for (const k of METRIC_KEYS) put(out, k, join(a[k], b[k]) as never);
  return out;
}

function cleanMetrics(m: Metrics): Metrics | undefined {
  const out: Metrics = {};
  for (const k of METRIC_KEYS) put(out, k, m[k] as never);
  return Object.keys(out).length ? out : undefined;
}

/** What one entry says about its execution, as a (partial) task record. */
export function taskFact(e: StoredEntry & { executionId: string }): TaskRecord {
  const t: TaskRecord = { executionId: e.executionId, status: 'received', firstSeenMs: e.tsMs };
  const timeKey = TIME_BY_KIND[e.kind];
  if (timeKey) t[timeKey] = e.tsMs;
  if (e.outcome) {
    t.status = e.outcome;
    t.finishedMs = e.tsMs;
    t.finishedBy = e.id;
  } else if (RUNNING_KINDS.has(e.kind)) t.status = 'running';
  if (e.task) {
    put(t, 'taskId', e.task.taskId);
    put(t, 'chainId', e.task.chainId);
    put(t, 'blockNumber', e.task.blockNumber);
    put(t, 'kind', e.task.kind);
    put(t, 'path', e.task.path);
  }
  const metrics = e.metrics && cleanMetrics(e.metrics);
  if (metrics) {
    t.metrics = metrics;
    put(t, 'elapsedMs', metrics.elapsedMs);
    put(t, 'steps', metrics.steps);
  }
  return t;
}

function finishStamp(t: TaskRecord): Stamp | undefined {
  return t.finishedBy !== undefined && t.finishedMs !== undefined
    ? { atMs: t.finishedMs, entryId: t.finishedBy }
    : undefined;
}

/**
 * The join of two records of one execution: earliest times, the outcome of the latest finishing entry, else
 * running over received; task fields and metrics joined. Keys are always written in the same order.
 */
export function mergeTasks(a: TaskRecord, b: TaskRecord): TaskRecord {
  const out: TaskRecord = {
    executionId: a.executionId,
    status: 'received',
    firstSeenMs: Math.min(a.firstSeenMs, b.firstSeenMs),
  };
  for (const k of TIME_KEYS) put(out, k, minDefined(a[k], b[k]));
  const fa = finishStamp(a);
  const fb = finishStamp(b);
  const finisher = fa && (!fb || compareStamps(fa, fb) >= 0) ? a : fb ? b : undefined;
  if (finisher) {
    out.status = finisher.status;
    out.finishedMs = finisher.finishedMs;
    out.finishedBy = finisher.finishedBy;
  } else if (a.status === 'running' || b.status === 'running') out.status = 'running';
  put(out, 'taskId', join(a.taskId, b.taskId));
  put(out, 'chainId', join(a.chainId, b.chainId));
  put(out, 'blockNumber', join(a.blockNumber, b.blockNumber));
  put(out, 'kind', join(a.kind, b.kind));
  put(out, 'path', join(a.path, b.path));
  const metrics = mergeMetrics(a.metrics, b.metrics);
  if (metrics) {
    out.metrics = metrics;
    put(out, 'elapsedMs', metrics.elapsedMs);
    put(out, 'steps', metrics.steps);
  }
  put(out, 'invoiceId', join(a.invoiceId, b.invoiceId));
  return out;
}

/** The invoice an entry carries, keyed by its invoice id (or the entry's cursor when it has none); unpaid. */
export function invoiceRecord(e: StoredEntry): InvoiceRecord | undefined {
  if (e.kind !== 'invoice' || !e.invoice) return undefined;
  const rec: InvoiceRecord = {
    ...e.invoice,
    key: e.invoice.invoiceId || e.id,
    tsMs: e.tsMs,
    day: utcDay(e.tsMs),
    entryId: e.id,
    paid: 'unpaid',
  };
  const executionId = e.invoice.executionId || e.executionId;
  if (executionId) rec.executionId = executionId;
  return rec;
}

/**
 * Two records of one invoice key: the one from the earliest entry wins (the same entry: the newer version). The
 * paid fields are not the invoice's: the caller sets them again from the payments store (withPayment).
 */
export function mergeInvoices(a: InvoiceRecord, b: InvoiceRecord): InvoiceRecord {
  if (a.entryId === b.entryId) return b;
  return compareStamps({ atMs: a.tsMs, entryId: a.entryId }, { atMs: b.tsMs, entryId: b.entryId }) <= 0
    ? a
    : b;
}

/** The invoice with its paid fields from its payment (or unpaid without one): the same whichever came first. */
export function withPayment(inv: InvoiceRecord, payment: PaymentRecord | undefined): InvoiceRecord {
  const { paidMs: _paidMs, txHash: _txHash, ...rest } = inv;
  if (!payment) return { ...rest, paid: 'unpaid' };
  const out: InvoiceRecord = { ...rest, paid: 'paid', paidMs: payment.tsMs };
  put(out, 'txHash', payment.txHash);
  return out;
}

const PAID_TOPIC = 'invoice_paid';

/**
 * The notice an `invoice_paid` JSON names, or undefined when it is not one. Entries stored before the sidecar
 * knew the `invoice.paid` kind are `message`s with the JSON still in their text: read the same way.
 */
function paidOf(e: StoredEntry): InvoicePaid | undefined {
  if (e.kind === 'invoice.paid') return e.paid;
  if (e.kind !== 'message' || e.topic !== PAID_TOPIC) return undefined;
  const at = e.message.indexOf('{');
  if (at === -1) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(e.text === undefined ? e.message.slice(at) : `${e.message.slice(at)}\n${e.text}`);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { invoiceId, txHash } = json as { invoiceId?: unknown; txHash?: unknown };
  const parsed = v.safeParse(InvoicePaidSchema, { invoiceId, txHash });
  if (parsed.success) return parsed.output;
  // A txHash that is not a transaction hash is dropped, as the sidecar drops it; the invoice is still named.
  const named = v.safeParse(InvoicePaidSchema, { invoiceId });
  return named.success ? named.output : undefined;
}

/** The paid notice an entry carries, keyed by the invoice it names. */
export function paymentRecord(e: StoredEntry): PaymentRecord | undefined {
  const paid = paidOf(e);
  if (!paid) return undefined;
  const rec: PaymentRecord = { key: paid.invoiceId, tsMs: e.tsMs, entryId: e.id };
  put(rec, 'txHash', paid.txHash);
  return rec;
}

/** Two notices for one invoice: the earliest says when it was paid (the same entry: the newer version). */
export function mergePayments(a: PaymentRecord, b: PaymentRecord): PaymentRecord {
  if (a.entryId === b.entryId) return b;
  return compareStamps({ atMs: a.tsMs, entryId: a.entryId }, { atMs: b.tsMs, entryId: b.entryId }) <= 0
    ? a
    : b;
}

/** What one entry says about the node. */
export function nodeFact(e: StoredEntry): NodeRecord {
  const n: NodeRecord = { key: 'node', lastEntryMs: e.tsMs };
  const stamp = { atMs: e.tsMs, entryId: e.id };
  if (e.component === RUNNER_COMPONENT) {
    if (e.version) Object.assign(n, { runnerVersion: e.version, runnerVersionAt: stamp });
    if (e.address) Object.assign(n, { address: e.address, addressAt: stamp });
  }
  const s = e.slots;
  if ((e.kind === 'slot.acquired' || e.kind === 'slot.released') && s) {
    if (s.active !== undefined || s.total !== undefined) {
      n.slots = { atMs: e.tsMs, entryId: e.id };
      put(n.slots, 'active', s.active);
      put(n.slots, 'total', s.total);
    }
  }
  return n;
}

function later<T>(a: T | undefined, b: T | undefined, stamp: (x: T) => Stamp): T | undefined {
  if (!a || !b) return a ?? b;
  return compareStamps(stamp(a), stamp(b)) > 0 ? a : b;
}

/** The join of two node records: each fact from its latest entry. `status` is a's, else b's. */
export function mergeNodes(a: NodeRecord, b: NodeRecord): NodeRecord {
  const out: NodeRecord = { key: 'node' };
  put(out, 'status', a.status ?? b.status);
  const version = later(a.runnerVersionAt && a, b.runnerVersionAt && b, (n) => n.runnerVersionAt!);
  if (version)
    Object.assign(out, { runnerVersion: version.runnerVersion, runnerVersionAt: version.runnerVersionAt });
  const address = later(a.addressAt && a, b.addressAt && b, (n) => n.addressAt!);
  if (address) Object.assign(out, { address: address.address, addressAt: address.addressAt });
  put(
    out,
    'slots',
    later(a.slots, b.slots, (s) => s),
  );
  put(out, 'lastEntryMs', join(a.lastEntryMs, b.lastEntryMs));
  return out;
}
