// The read side: the dashboard's, a task's and the invoices' queries, and the Page every listing returns (the Tasks
// and Logs pages' own queries: task-list.ts, entry-list.ts); the monitor database's worker answers them
// (monitor-db-api.ts). Each reads through an index: counts and ranges never load a store they do not need. Each
// read is its own read-only transaction.
import { entriesOfExecutions } from './blocks.ts';
import { unwrap } from 'idb';
import { between, getMany, primaryKeys, startsWith, values, valuesOf } from './idb.ts';
import type { InvoiceRecord, NodeRecord, PaidState, StoredEntry, TaskRecord, TruwatchDb } from './schema.ts';

/** One page of a listing. */
export interface Page<T> {
  rows: T[];
  /** All rows that match the filter. */
  count: number;
}

/** The value at fraction p (0..1) of sorted numbers, interpolated between neighbours; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * A day as the page defines it (app/day.ts: midnight to midnight in the zone shown, 23 to 25 hours): the
 * database knows no zone, so every query of "a day" is given its bounds.
 */
export interface DayRange {
  startMs: number;
  endMs: number;
}

export interface DashboardStats {
  /** The day the numbers are for: [startMs, endMs). */
  day: DayRange;
  /** received: tasks first seen today; completed/failed: tasks finished today; successRate: of those, or null. */
  tasksToday: { received: number; completed: number; failed: number; successRate: number | null };
  /**
   * Of tasks finished today that reported an elapsed time (the runner's measurement). `unknown` counts those
   * finished today without one: their duration is unknown, not taken from the log's whole-second timestamps.
   */
  durationMs: { median?: number; p95?: number; measured: number; unknown: number };
  invoicesToday: number;
  /** Steps today's invoices bill: the figure the Invoices page shows for the day (its "Steps billed"). */
  stepsBilledToday: number;
  node?: NodeRecord;
  slots?: NodeRecord['slots'];
  /** The 10 tasks first seen last, newest first. */
  recentTasks: TaskRecord[];
}

export async function dashboardStats(db: TruwatchDb, day: DayRange): Promise<DashboardStats> {
  const today = between(day.startMs, day.endMs);
  const [received, finished, invoices, node, recentTasks] = await Promise.all([
    db.countFromIndex('tasks', 'firstSeenMs', today),
    db.getAllFromIndex('tasks', 'finishedMs', today),
    // By time, not by the records' `day` (a UTC day): the same bounds as the Invoices page's days.
    db.getAllFromIndex('invoices', 'tsMs', today),
    db.get('node', 'node'),
    values<TaskRecord>(unwrap(db.transaction('tasks').store.index('firstSeenMs')), null, {
      reverse: true,
      limit: 10,
    }),
  ]);
  let completed = 0;
  let failed = 0;
  const durations: number[] = [];
  for (const t of finished) {
    if (t.status === 'completed') completed++;
    else if (t.status === 'failed') failed++;
    if (t.elapsedMs !== undefined) durations.push(t.elapsedMs);
  }
  durations.sort((a, b) => a - b);
  const done = completed + failed;
  return {
    day: { startMs: day.startMs, endMs: day.endMs },
    tasksToday: { received, completed, failed, successRate: done ? completed / done : null },
    durationMs: {
      median: percentile(durations, 0.5),
      p95: percentile(durations, 0.95),
      measured: durations.length,
      unknown: finished.length - durations.length,
    },
    invoicesToday: invoices.length,
    // Not the steps of the tasks finished today: those include failed tasks, which are not billed.
    stepsBilledToday: invoices.reduce((sum, inv) => sum + (inv.steps ?? 0), 0),
    node,
    slots: node?.slots,
    recentTasks,
  };
}

export interface TaskBucket {
  startMs: number;
  /** Tasks first seen in the bucket. */
  received: number;
  /** Tasks that finished in the bucket, by outcome. */
  completed: number;
  failed: number;
}

/**
 * Tasks per time bucket over [fromMs, toMs): one index count per bucket and series, never a task record
 * (720 one-hour buckets over 30 days are 2 160 counts in one go; prefer larger buckets for long spans).
 */
export async function tasksPerHour(
  db: TruwatchDb,
  fromMs: number,
  toMs: number,
  bucketMs = 3_600_000,
): Promise<TaskBucket[]> {
  const n = Math.max(0, Math.ceil((toMs - fromMs) / bucketMs));
  const starts = Array.from({ length: n }, (_, i) => fromMs + i * bucketMs);
  const end = (start: number) => Math.min(start + bucketMs, toMs);
  const finished = (status: 'completed' | 'failed', start: number) =>
    db.countFromIndex('tasks', '[status+finishedMs]', between([status, start], [status, end(start)]));
  const counts = await Promise.all(
    starts.flatMap((start) => [
      db.countFromIndex('tasks', 'firstSeenMs', between(start, end(start))),
      finished('completed', start),
      finished('failed', start),
    ]),
  );
  return starts.map((startMs, i) => ({
    startMs,
    received: counts[3 * i]!,
    completed: counts[3 * i + 1]!,
    failed: counts[3 * i + 2]!,
  }));
}

const byTime = (a: StoredEntry, b: StoredEntry) =>
  a.tsMs - b.tsMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface TaskDetail {
  task?: TaskRecord;
  /** Every stored entry of the execution (task lines and its invoice), oldest first. */
  entries: StoredEntry[];
  invoice?: InvoiceRecord;
}

export async function taskDetail(db: TruwatchDb, executionId: string): Promise<TaskDetail> {
  const [task, entries, invoices] = await Promise.all([
    db.get('tasks', executionId),
    entriesOfExecutions(db, [executionId]),
    db.getAllFromIndex('invoices', 'executionId', executionId),
  ]);
  entries.sort(byTime);
  const invoice = invoices.find((i) => i.key === task?.invoiceId) ?? invoices[0];
  return { task, entries, invoice };
}

export interface InvoiceFilter {
  /** A range of the invoice entry's time: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  /** A prefix of the invoice id or of the executionId. */
  search?: string;
  /** Only invoices a paid notice was stored for, or only the others. */
  paid?: PaidState;
}

/** Invoices newest first, with the count of all that match. */
export async function listInvoices(
  db: TruwatchDb,
  filter: InvoiceFilter = {},
  offset = 0,
  limit = 100,
): Promise<Page<InvoiceRecord>> {
  const lo = filter.fromMs ?? -Infinity;
  const hi = filter.toMs ?? Infinity;
  if (filter.search) {
    const s = filter.search;
    const [byKey, byExecution] = await Promise.all([
      db.getAll('invoices', startsWith(s)),
      db.getAllFromIndex('invoices', 'executionId', startsWith(s)),
    ]);
    const found = new Map([...byKey, ...byExecution].map((i) => [i.key, i]));
    const rows = [...found.values()]
      .filter((i) => i.tsMs >= lo && i.tsMs < hi && (!filter.paid || i.paid === filter.paid))
      .sort((a, b) => b.tsMs - a.tsMs || (a.key < b.key ? 1 : -1));
    return { rows: rows.slice(offset, offset + limit), count: rows.length };
  }
  const [index, range] = filter.paid
    ? (['[paid+tsMs]', between([filter.paid, lo], [filter.paid, hi])] as const)
    : (['tsMs', between(lo, hi)] as const);
  const [keys, count] = await Promise.all([
    primaryKeys<string>(unwrap(db.transaction('invoices').store.index(index)), range, {
      reverse: true,
      limit: offset + limit,
    }),
    db.countFromIndex('invoices', index, range),
  ]);
  const store = db.transaction('invoices').store;
  return { rows: await valuesOf((ks) => getMany(store, ks), keys.slice(offset)), count };
}

export interface InvoiceTotals {
  /** The period's bounds, as asked (a day, a week or a month as the page defines them). */
  period: DayRange;
  invoices: number;
  /** Of those, the invoices a paid notice was stored for, and the others. */
  paid: number;
  unpaid: number;
  /** Steps the invoices bill. */
  steps: number;
  /** Sum of line item amounts by operation (`charge`, `pay`, …; `other` when none is named). */
  amounts: Record<string, number>;
  /**
   * The node's earnings: sum of the `pay` line items whose account is the node's own address (known from its
   * log), of paid and of unpaid invoices. 0 while the address is unknown.
   */
  toNode: number;
  toNodePaid: number;
  toNodeUnpaid: number;
  /** Sum of the `penalty` line items on the node's own address: shown apart, never subtracted from its earnings. */
  penaltyToNode: number;
}

export const emptyTotals = (period: DayRange): InvoiceTotals => ({
  period: { startMs: period.startMs, endMs: period.endMs },
  invoices: 0,
  paid: 0,
  unpaid: 0,
  steps: 0,
  amounts: {},
  toNode: 0,
  toNodePaid: 0,
  toNodeUnpaid: 0,
  penaltyToNode: 0,
});

/** Adds one invoice to a period's totals; `own` is the node's address in lower case, when known. */
export function addInvoice(t: InvoiceTotals, inv: InvoiceRecord, own: string | undefined): void {
  t.invoices++;
  if (inv.paid === 'paid') t.paid++;
  else t.unpaid++;
  t.steps += inv.steps ?? 0;
  for (const item of inv.lineItems) {
    if (item.amount === undefined) continue;
    const op = item.operation || 'other';
    t.amounts[op] = (t.amounts[op] ?? 0) + item.amount;
    if (!own || item.account?.toLowerCase() !== own) continue;
    if (op === 'pay') {
      t.toNode += item.amount;
      if (inv.paid === 'paid') t.toNodePaid += item.amount;
      else t.toNodeUnpaid += item.amount;
    } else if (op === 'penalty') t.penaltyToNode += item.amount;
  }
}

/**
 * Invoice totals for each of the given periods (ascending, not overlapping: days, weeks or months), in their
 * order; empty periods included. One read of the invoices they span.
 */
export async function invoiceTotals(db: TruwatchDb, periods: readonly DayRange[]): Promise<InvoiceTotals[]> {
  if (!periods.length) return [];
  const [invoices, node] = await Promise.all([
    db.getAllFromIndex('invoices', 'tsMs', between(periods[0]!.startMs, periods.at(-1)!.endMs)),
    db.get('node', 'node'),
  ]);
  const own = node?.address?.toLowerCase();
  const totals = periods.map(emptyTotals);
  let i = 0;
  // Invoices come in time order, periods too: one pass.
  for (const inv of invoices) {
    while (i < periods.length && inv.tsMs >= periods[i]!.endMs) i++;
    const t = totals[i];
    if (!t || inv.tsMs < t.period.startMs) continue;
    addInvoice(t, inv, own);
  }
  return totals;
}

/**
 * The totals of periods that may overlap (today, this week, this month), from one read of the invoices they span:
 * the dashboard asks again after every write, and during a backfill a read per period tripled its cost.
 */
export async function earningsSummary(
  db: TruwatchDb,
  periods: readonly DayRange[],
): Promise<InvoiceTotals[]> {
  if (!periods.length) return [];
  const from = Math.min(...periods.map((p) => p.startMs));
  const to = Math.max(...periods.map((p) => p.endMs));
  const [invoices, node] = await Promise.all([
    db.getAllFromIndex('invoices', 'tsMs', between(from, to)),
    db.get('node', 'node'),
  ]);
  const own = node?.address?.toLowerCase();
  const totals = periods.map(emptyTotals);
  for (const inv of invoices)
    for (const t of totals)
      if (inv.tsMs >= t.period.startMs && inv.tsMs < t.period.endMs) addInvoice(t, inv, own);
  return totals;
}
