// Earnings per day, week and month in Los Angeles across the spring clock change (8 March 2026, 02:00 local), from
// a generated log whose truth says which invoices are paid and what each pays the node: the database's totals
// against a reference computed here from the truth and the calendar, without the database.
process.env.TZ = 'America/Los_Angeles';
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastPeriods, type PeriodUnit } from '../app/periods.ts';
import { applyEntries } from './apply.ts';
import { earningsSummary, invoiceTotals, listInvoices } from './queries.ts';
import type { TruwatchDb } from './schema.ts';
import { chunks, deleteDb, freshDb, generatedEntries } from '../../../../test/support/monitor-db.ts';

const LA = { locale: 'en-US' };
// 600 tasks (5 hours) from 23:00 on Saturday 7 March, Los Angeles time: across midnight and the clock change.
const START = Date.UTC(2026, 2, 8, 7);
const NOW = Date.UTC(2026, 2, 8, 20);
const gen = generatedEntries(600, 5, START);
const invoiceAt = new Map(
  gen.entries.filter((e) => e.kind === 'invoice').map((e) => [e.invoice!.invoiceId!, Date.parse(e.ts)]),
);

/** The reference: the local calendar date (or its Monday, or its month) of each invoice, summed from the truth. */
function reference(unit: PeriodUnit) {
  const key = (ms: number) => {
    const d = new Date(ms);
    if (unit === 'month') return `${d.getFullYear()}-${d.getMonth()}`;
    const back = unit === 'week' ? (d.getDay() + 6) % 7 : 0;
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate() - back);
    return `${start.getFullYear()}-${start.getMonth()}-${start.getDate()}`;
  };
  const sums = new Map<
    string,
    { invoices: number; paid: number; toNodePaid: number; toNodeUnpaid: number }
  >();
  for (const inv of gen.invoices) {
    const k = key(invoiceAt.get(inv.invoiceId)!);
    const s = sums.get(k) ?? { invoices: 0, paid: 0, toNodePaid: 0, toNodeUnpaid: 0 };
    s.invoices++;
    if (inv.txHash) {
      s.paid++;
      s.toNodePaid += inv.toNode;
    } else s.toNodeUnpaid += inv.toNode;
    sums.set(k, s);
  }
  return { key, sums };
}

let db: TruwatchDb;
beforeAll(async () => {
  db = await freshDb();
  for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch);
});
afterAll(() => deleteDb(db));

describe('earnings over time', () => {
  it('the log crosses midnight and the clock change, with paid and unpaid invoices', () => {
    const times = [...invoiceAt.values()];
    expect(Math.min(...times)).toBeLessThan(new Date(2026, 2, 8).getTime());
    expect(Math.max(...times)).toBeGreaterThan(Date.UTC(2026, 2, 8, 10)); // 03:00 PDT
    expect(gen.invoices.filter((i) => i.txHash).length).toBeGreaterThan(10);
    expect(gen.invoices.filter((i) => !i.txHash).length).toBeGreaterThan(2);
  });

  it.each(['day', 'week', 'month'] as const)(
    'per %s: counts and amounts to the node, paid and unpaid',
    async (unit) => {
      const periods = lastPeriods(unit, 3, NOW, LA);
      const totals = await invoiceTotals(db, periods);
      const { key, sums } = reference(unit);
      let seen = 0;
      for (const t of totals) {
        const want = sums.get(key(t.period.startMs)) ?? {
          invoices: 0,
          paid: 0,
          toNodePaid: 0,
          toNodeUnpaid: 0,
        };
        expect(t, `${unit} of ${new Date(t.period.startMs).toString()}`).toMatchObject({
          invoices: want.invoices,
          paid: want.paid,
          unpaid: want.invoices - want.paid,
          toNodePaid: want.toNodePaid,
          toNodeUnpaid: want.toNodeUnpaid,
          toNode: want.toNodePaid + want.toNodeUnpaid,
          penaltyToNode: 0,
        });
        seen += t.invoices;
      }
      expect(seen).toBe(gen.invoices.length);
      if (unit === 'day') {
        // Saturday holds the hour before midnight, Sunday (23 hours long) the rest.
        expect(totals[1]!.invoices).toBeGreaterThan(0);
        expect(totals[2]!.period.endMs - totals[2]!.period.startMs).toBe(23 * 3_600_000);
      }
      // The `pay` line items to the node's address are its earnings: what the generator paid it.
      expect(totals.reduce((a, t) => a + t.toNode, 0)).toBe(gen.invoices.reduce((a, i) => a + i.toNode, 0));
    },
  );

  it('the summary of today, this week and this month agrees with the tables', async () => {
    const [day, week, month] = await earningsSummary(db, [
      lastPeriods('day', 1, NOW, LA)[0]!,
      lastPeriods('week', 1, NOW, LA)[0]!,
      lastPeriods('month', 1, NOW, LA)[0]!,
    ]);
    const [daily] = (await invoiceTotals(db, lastPeriods('day', 1, NOW, LA))).slice(-1);
    expect(day).toEqual(daily);
    // Saturday 7 March is in the week of Monday 2 March, as Sunday is, and in March: all of it.
    expect(week!.invoices).toBe(gen.invoices.length);
    expect(month!.toNodePaid).toBe(gen.invoices.filter((i) => i.txHash).reduce((a, i) => a + i.toNode, 0));
  });

  it('lists paid and unpaid invoices apart, newest first, by search too', async () => {
    const paid = await listInvoices(db, { paid: 'paid' }, 0, 10_000);
    const unpaid = await listInvoices(db, { paid: 'unpaid' }, 0, 5);
    expect(paid.count).toBe(gen.invoices.filter((i) => i.txHash).length);
    expect(unpaid.count).toBe(gen.invoices.length - paid.count);
    expect(unpaid.rows).toHaveLength(Math.min(5, unpaid.count));
    expect(paid.rows.every((i) => i.paid === 'paid' && /^0x[0-9a-f]{64}$/.test(i.txHash!))).toBe(true);
    expect(paid.rows.map((i) => i.tsMs)).toEqual(paid.rows.map((i) => i.tsMs).sort((a, b) => b - a));
    const one = gen.invoices.find((i) => !i.txHash)!;
    expect((await listInvoices(db, { search: one.invoiceId, paid: 'unpaid' })).count).toBe(1);
    expect((await listInvoices(db, { search: one.invoiceId, paid: 'paid' })).count).toBe(0);
  });
});
