import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEntries } from './apply.ts';
import { DAY_MS } from './derive.ts';
import { countEntries, listEntries, type EntryFilter } from './entry-list.ts';
import { dashboardStats, invoiceTotals, listInvoices, taskDetail, tasksPerHour } from './queries.ts';
import { compareTasks, listTasks, type TaskFilter, type TaskSort } from './task-list.ts';
import type { StoredEntry, TaskRecord, TruwatchDb } from './schema.ts';
import { chunks, deleteDb, freshDb, generatedEntries, putAll } from '../../../../test/support/monitor-db.ts';

// 400 tasks from 22:30 UTC: about 3.3 hours, across midnight, so "today" holds only part of them.
const START = Date.UTC(2025, 10, 24, 22, 30);
const NOW = Date.UTC(2025, 10, 25, 12);
const DAY_START = Date.UTC(2025, 10, 25);
const TODAY = { startMs: DAY_START, endMs: DAY_START + DAY_MS };
const gen = generatedEntries(400, 3, START);
const ms = (ts: string) => Date.parse(ts);
const onDay = (t: number | undefined) => t !== undefined && t >= DAY_START && t < DAY_START + DAY_MS;

// What the entries and the truth say, computed here without the database.
const firstSeen = new Map<string, number>();
const finished = new Map<string, number>();
for (const e of gen.entries) {
  if (!e.executionId || !e.kind.startsWith('task.')) continue;
  firstSeen.set(e.executionId, Math.min(firstSeen.get(e.executionId) ?? Infinity, ms(e.ts)));
  if (e.outcome) finished.set(e.executionId, ms(e.ts));
}
const stored: StoredEntry[] = gen.entries.map((e) => ({ ...e, tsMs: ms(e.ts) }));

let db: TruwatchDb;
let all: TaskRecord[];
beforeAll(async () => {
  db = await freshDb();
  for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch);
  all = await db.getAll('tasks');
});
afterAll(() => deleteDb(db));

describe('dashboardStats', () => {
  it('gives the numbers of the day it is given', async () => {
    const stats = await dashboardStats(db, TODAY);
    const today = gen.executions.filter((t) => onDay(finished.get(t.executionId)));
    const completed = today.filter((t) => t.outcome === 'completed').length;
    const failed = today.length - completed;
    expect(completed).toBeGreaterThan(10);
    expect(today.length).toBeLessThan(gen.executions.length);
    expect(stats.day).toEqual(TODAY);
    expect(stats.tasksToday).toEqual({
      received: [...firstSeen.values()].filter(onDay).length,
      completed,
      failed,
      successRate: completed / (completed + failed),
    });
    const durations = today
      .flatMap((t) => (t.elapsedMs === undefined ? [] : [t.elapsedMs]))
      .sort((a, b) => a - b);
    const mid = durations.length / 2;
    const median =
      durations.length % 2 ? durations[Math.floor(mid)]! : (durations[mid - 1]! + durations[mid]!) / 2;
    expect(stats.durationMs.median).toBeCloseTo(median, 6);
    // Tasks without the runner's elapsed time are counted as unknown, not left out unsaid.
    expect(stats.durationMs.measured).toBe(durations.length);
    expect(stats.durationMs.unknown).toBe(today.length - durations.length);
    expect(stats.durationMs.unknown).toBeGreaterThan(0);
    expect(stats.durationMs.p95).toBeGreaterThan(median);
    expect(stats.durationMs.p95).toBeLessThanOrEqual(durations.at(-1)!);
    // The steps billed, not those of every task finished today (failed ones run steps but are not billed).
    const billed = gen.entries.filter((e) => e.kind === 'invoice' && onDay(ms(e.ts)));
    expect(stats.stepsBilledToday).toBe(billed.reduce((a, e) => a + (e.invoice?.steps ?? 0), 0));
    expect(stats.stepsBilledToday).toBeLessThan(today.reduce((a, t) => a + (t.steps ?? 0), 0));
    const [invoicePageDay] = await invoiceTotals(db, [TODAY]);
    expect(invoicePageDay!.steps).toBe(stats.stepsBilledToday);
    expect(stats.invoicesToday).toBe(
      gen.entries.filter((e) => e.kind === 'invoice' && onDay(ms(e.ts))).length,
    );
    expect(stats.recentTasks.map((t) => t.firstSeenMs)).toEqual(
      [...firstSeen.values()].sort((a, b) => b - a).slice(0, 10),
    );
    expect(stats.slots?.total).toBe(4);
    expect(stats.node?.runnerVersion).toBe('2.0.0-beta.5');
  });

  it('is empty for a day without tasks', async () => {
    const stats = await dashboardStats(db, { startMs: NOW + 7 * DAY_MS, endMs: NOW + 8 * DAY_MS });
    expect(stats.tasksToday).toEqual({ received: 0, completed: 0, failed: 0, successRate: null });
    expect(stats.durationMs).toEqual({ median: undefined, p95: undefined, measured: 0, unknown: 0 });
  });
});

describe('tasksPerHour', () => {
  it('puts every task in the bucket of its first and last entry', async () => {
    const from = Date.UTC(2025, 10, 24);
    const buckets = await tasksPerHour(db, from, from + 2 * DAY_MS, 3_600_000);
    expect(buckets).toHaveLength(48);
    for (const [i, b] of buckets.entries()) {
      expect(b.startMs).toBe(from + i * 3_600_000);
      const inBucket = (t: number | undefined) =>
        t !== undefined && t >= b.startMs && t < b.startMs + 3_600_000;
      expect(b.received).toBe([...firstSeen.values()].filter(inBucket).length);
      const done = gen.executions.filter((t) => inBucket(finished.get(t.executionId)));
      expect(b.completed).toBe(done.filter((t) => t.outcome === 'completed').length);
      expect(b.failed).toBe(done.filter((t) => t.outcome === 'failed').length);
    }
    expect(buckets.reduce((a, b) => a + b.received, 0)).toBe(gen.executions.length);
  });
});

describe('listTasks', () => {
  const some = () => gen.executions[17]!;
  const cases: [TaskFilter, TaskSort][] = [
    [{}, { key: 'firstSeenMs', dir: 'desc' }],
    [{}, { key: 'firstSeenMs', dir: 'asc' }],
    [{}, { key: 'elapsedMs', dir: 'desc' }],
    [{}, { key: 'steps', dir: 'asc' }],
    [{ status: 'failed' }, { key: 'firstSeenMs', dir: 'desc' }],
    [
      { chainId: '137', kind: 'function' },
      { key: 'elapsedMs', dir: 'desc' },
    ],
    [{ kind: 'api' }, { key: 'elapsedMs', dir: 'asc' }],
    [
      { fromMs: DAY_START, toMs: DAY_START + 3_600_000 },
      { key: 'steps', dir: 'desc' },
    ],
    [
      { status: 'completed', fromMs: DAY_START },
      { key: 'finishedMs', dir: 'asc' },
    ],
    [{ search: some().executionId.slice(0, 8) }, { key: 'firstSeenMs', dir: 'desc' }],
    [{ search: some().executionId.slice(0, 8).toUpperCase() }, { key: 'firstSeenMs', dir: 'desc' }],
    [
      { search: some().taskId.slice(0, 5), status: 'completed' },
      { key: 'elapsedMs', dir: 'desc' },
    ],
    // Anywhere in an id: the middle of an executionId, the end of a taskId.
    [{ search: some().executionId.slice(14, 23).toUpperCase() }, { key: 'firstSeenMs', dir: 'asc' }],
    [{ search: some().taskId.slice(2) }, { key: 'steps', dir: 'desc' }],
  ];
  const holds = (id: string | undefined, search: string) =>
    (id ?? '').toLowerCase().includes(search.toLowerCase());
  const reference = (f: TaskFilter, sort: TaskSort) =>
    all
      .filter(
        (t) =>
          (f.status === undefined || t.status === f.status) &&
          (f.chainId === undefined || t.chainId === f.chainId) &&
          (f.kind === undefined || t.kind === f.kind) &&
          t.firstSeenMs >= (f.fromMs ?? -Infinity) &&
          t.firstSeenMs < (f.toMs ?? Infinity) &&
          (!f.search || holds(t.executionId, f.search) || holds(t.taskId, f.search)),
      )
      .sort(compareTasks(sort));

  it.each(cases)('filters %j sorted by %j, page by page, as a full scan would', async (filter, sort) => {
    const expected = reference(filter, sort);
    expect(expected.length).toBeGreaterThan(0);
    const pages = [];
    for (let offset = 0; offset < expected.length + 30; offset += 30) {
      const page = await listTasks(db, filter, sort, offset, 30);
      expect(page.count).toBe(expected.length);
      pages.push(...page.rows);
    }
    expect(pages.map((t) => t.executionId)).toEqual(expected.map((t) => t.executionId));
  });

  it('pages a search that finds thousands of tasks like a full scan', async () => {
    const big = await freshDb();
    const statuses = ['received', 'running', 'completed', 'failed'] as const;
    const many: TaskRecord[] = Array.from({ length: 2_600 }, (_, i) => ({
      executionId: `e-${(i * 7919) % 2_600}`,
      status: statuses[i % 4]!,
      firstSeenMs: 1_000 * Math.floor(i / 3),
      taskId: i % 5 ? 'common/1.0' : 'rare/1.0',
      chainId: String(i % 3),
      ...(i % 6 ? { elapsedMs: (i * 37) % 1_000 } : {}),
    }));
    await putAll(big, 'tasks', many);
    for (const [filter, sort] of [
      [{ search: 'com' }, { key: 'firstSeenMs', dir: 'desc' }],
      [
        { search: 'com', chainId: '1', status: 'failed' },
        { key: 'elapsedMs', dir: 'asc' },
      ],
      [
        { search: 'e-1', fromMs: 100_000 },
        { key: 'elapsedMs', dir: 'desc' },
      ],
    ] as [TaskFilter, TaskSort][]) {
      const expected = many
        .filter(
          (t) =>
            (holds(t.executionId, filter.search!) || holds(t.taskId, filter.search!)) &&
            (filter.chainId === undefined || t.chainId === filter.chainId) &&
            (filter.status === undefined || t.status === filter.status) &&
            t.firstSeenMs >= (filter.fromMs ?? -Infinity),
        )
        .sort(compareTasks(sort));
      const page = await listTasks(big, filter, sort, 40, 25);
      expect(page.count).toBe(expected.length);
      expect(page.rows.map((t) => t.executionId)).toEqual(expected.slice(40, 65).map((t) => t.executionId));
    }
    await deleteDb(big);
  });

  it('counts what the truth says', async () => {
    const failed = gen.executions.filter((t) => t.outcome === 'failed').length;
    expect((await listTasks(db, { status: 'failed' }, undefined, 0, 0)).count).toBe(failed);
    const api = gen.executions.filter((t) => t.kind === 'api').length;
    expect((await listTasks(db, { kind: 'api' })).count).toBe(api);
    expect((await listTasks(db, {}, undefined, 0, Infinity)).rows).toHaveLength(gen.executions.length);
  });
});

describe('taskDetail', () => {
  it('gives the task, its entries in time order and its invoice', async () => {
    const inv = gen.invoices[3]!;
    const detail = await taskDetail(db, inv.executionId);
    expect(detail.task?.executionId).toBe(inv.executionId);
    expect(detail.invoice?.key).toBe(inv.invoiceId);
    const expected = stored
      .filter((e) => e.executionId === inv.executionId)
      .sort((a, b) => a.tsMs - b.tsMs || (a.id < b.id ? -1 : 1));
    expect(detail.entries.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(detail.entries.map((e) => e.kind)).toContain('invoice');
    expect(await taskDetail(db, 'nope')).toEqual({ task: undefined, entries: [], invoice: undefined });
  });
});

describe('invoices', () => {
  it('lists invoices newest first, finds them by prefix', async () => {
    const page = await listInvoices(db, {}, 0, 25);
    expect(page.count).toBe(gen.invoices.length);
    expect(page.rows).toHaveLength(25);
    expect(page.rows.map((i) => i.tsMs)).toEqual([...page.rows.map((i) => i.tsMs)].sort((a, b) => b - a));
    const today = await listInvoices(db, { fromMs: DAY_START, toMs: DAY_START + DAY_MS });
    expect(today.count).toBe((await dashboardStats(db, TODAY)).invoicesToday);
    const inv = gen.invoices[9]!;
    expect((await listInvoices(db, { search: inv.invoiceId.slice(0, 10) })).rows.map((i) => i.key)).toContain(
      inv.invoiceId,
    );
    const byExecution = await listInvoices(db, { search: inv.executionId });
    expect(byExecution.rows.map((i) => i.key)).toEqual([inv.invoiceId]);
  });

  it('totals invoices per given day, empty days included', async () => {
    const days = [0, 1, 2].map((i) => ({
      startMs: Date.UTC(2025, 10, 23 + i),
      endMs: Date.UTC(2025, 10, 24 + i),
    }));
    const totals = await invoiceTotals(db, days);
    expect(totals.map((d) => d.period)).toEqual(days);
    expect(totals[0]!.invoices).toBe(0);
    expect(totals.reduce((a, d) => a + d.invoices, 0)).toBe(gen.invoices.length);
    expect(totals.reduce((a, d) => a + d.steps, 0)).toBe(
      gen.invoices.reduce((a, i) => a + (i.steps ?? 0), 0),
    );
    for (const d of totals.slice(1)) {
      expect(d.amounts.charge).toBeGreaterThan(0);
      // The generator pays the node its share in the `pay` line item.
      expect(d.toNode).toBe(d.amounts.pay);
    }
  });

  it('puts an invoice in the day of the zone the page shows, not the UTC day', async () => {
    // A day of UTC−8 (Los Angeles in November): 08:00 UTC to 08:00 UTC, holding the invoices before 22:30 UTC too.
    const la = { startMs: Date.UTC(2025, 10, 24, 8), endMs: Date.UTC(2025, 10, 25, 8) };
    const inLa = gen.entries.filter(
      (e) => e.kind === 'invoice' && ms(e.ts) >= la.startMs && ms(e.ts) < la.endMs,
    );
    const onUtcDay = gen.entries.filter((e) => e.kind === 'invoice' && e.ts.startsWith('2025-11-24'));
    expect(inLa.length).not.toBe(onUtcDay.length);
    const [day] = await invoiceTotals(db, [la]);
    expect(day!.invoices).toBe(inLa.length);
    expect((await dashboardStats(db, la)).invoicesToday).toBe(inLa.length);
  });
});

describe('listEntries', () => {
  const cases: EntryFilter[] = [
    {},
    { levels: ['debug', 'error'] },
    { kinds: ['task.metrics', 'invoice', 'slot.acquired'] },
    { kinds: ['task.received'], levels: ['info'], fromMs: DAY_START },
    { text: 'EXECUTION', levels: ['info'] },
    { text: 'Semaphore', toMs: DAY_START },
    { executionId: gen.executions[5]!.executionId, kinds: ['task.metrics', 'task.completed'] },
    { outcome: 'failed' },
    { outcome: 'completed', levels: ['info'], fromMs: DAY_START },
  ];
  const reference = (f: EntryFilter) =>
    stored
      .filter(
        (e) =>
          (!f.levels || f.levels.includes(e.level)) &&
          (!f.kinds || f.kinds.includes(e.kind)) &&
          (!f.outcome || e.outcome === f.outcome) &&
          (!f.executionId || e.executionId === f.executionId) &&
          e.tsMs >= (f.fromMs ?? -Infinity) &&
          e.tsMs < (f.toMs ?? Infinity) &&
          (!f.text || `${e.message}\n${e.text ?? ''}`.toLowerCase().includes(f.text.toLowerCase())),
      )
      .sort((a, b) => b.tsMs - a.tsMs || (a.id < b.id ? 1 : -1))
      .map((e) => e.id);

  it.each(cases)('filters %j newest first, with its count', async (filter) => {
    const expected = reference(filter);
    expect(expected.length).toBeGreaterThan(0);
    expect(await countEntries(db, filter)).toBe(expected.length);
    for (const [offset, limit] of [
      [0, 50],
      [50, 50],
      [expected.length - 7, 50],
    ] as const) {
      const rows = await listEntries(db, filter, Math.max(0, offset), limit);
      expect(rows.map((e) => e.id)).toEqual(expected.slice(Math.max(0, offset), Math.max(0, offset) + limit));
    }
  });

  it('finds one entry per failed task by outcome, where the task.failed kind finds none', async () => {
    // The generated runner writes no failure line: its failures are metrics entries with a non-zero exit code.
    const failed = gen.executions.filter((t) => t.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(10);
    expect(await countEntries(db, { kinds: ['task.failed'] })).toBe(0);
    const rows = await listEntries(db, { outcome: 'failed' }, 0, 10_000);
    expect(rows).toHaveLength(failed.length);
    expect(new Set(rows.map((e) => e.executionId))).toEqual(new Set(failed.map((t) => t.executionId)));
    expect(await countEntries(db, { outcome: 'failed' })).toBe(failed.length);
  });
});
