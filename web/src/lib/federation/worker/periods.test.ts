import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DAY_MS, FederationDb } from './federation-db.ts';
import { inPeriods, updatePeriods } from './periods.ts';

const now = Date.parse('2026-11-21T12:00:00Z');

describe('sharing periods', () => {
  it('knows when a time is in a period', () => {
    const periods = [{ fromMs: 10, toMs: 20 }];
    expect([9, 10, 19, 20].map((ms) => inPeriods(ms, periods))).toEqual([false, true, true, false]);
    expect(inPeriods(1e15, [{ fromMs: 10, toMs: null }])).toBe(true);
  });

  it('opens a period when sharing starts, closes it when it stops, and forgets what ended 7 days ago', async () => {
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    await fed.set('periods', [{ fromMs: now - 9 * DAY_MS, toMs: now - 8 * DAY_MS }]);
    expect(await updatePeriods(fed, true, now - DAY_MS)).toEqual([{ fromMs: now - DAY_MS, toMs: null }]);
    expect(await updatePeriods(fed, true, now - 1000)).toEqual([{ fromMs: now - DAY_MS, toMs: null }]);
    expect(await updatePeriods(fed, false, now)).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    expect(await updatePeriods(fed, false, now + 1000)).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    expect(await fed.get('periods')).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    fed.close();
  });

  it('keeps at most 100 periods', async () => {
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    for (let i = 0; i < 120; i++) {
      await updatePeriods(fed, true, now + 2 * i);
      await updatePeriods(fed, false, now + 2 * i + 1);
    }
    const periods = (await fed.get('periods')) ?? [];
    expect(periods).toHaveLength(100);
    expect(periods.at(-1)).toEqual({ fromMs: now + 238, toMs: now + 239 });
    fed.close();
  });
});
