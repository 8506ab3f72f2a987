import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_OPT_IN, type FederationSettings, type OptIn } from '../settings.ts';
import { DAY_MS, FederationDb, KEEP_MS } from './federation-db.ts';
import { inPeriods, nextSharing, updatePeriods, wasOn } from './periods.ts';

const now = Date.parse('2026-11-21T12:00:00Z');
const fresh = () => FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
type Choice = Pick<FederationSettings, 'enabled' | 'shareTasks' | 'shareHeartbeat' | 'optIn'>;
const on = (optIn: OptIn | null, shareTasks = true, shareHeartbeat = true): Choice => ({
  enabled: true,
  shareTasks,
  shareHeartbeat,
  optIn,
});
const off = (optIn: OptIn | null): Choice => ({
  enabled: false,
  shareTasks: true,
  shareHeartbeat: true,
  optIn,
});
const openFrom = (fromMs: number) => ({ fromMs, toMs: null });

describe('sharing periods', () => {
  it('knows when a time is in a period', () => {
    const periods = [{ fromMs: 10, toMs: 20 }];
    expect([9, 10, 19, 20].map((ms) => inPeriods(ms, periods))).toEqual([false, true, true, false]);
    expect(inPeriods(1e15, [openFrom(10)])).toBe(true);
  });

  it('opens a period when sharing starts, closes it when it stops, and forgets what ended 7 days ago', async () => {
    const fed = await fresh();
    await fed.set('periods', [{ fromMs: now - 9 * DAY_MS, toMs: now - 8 * DAY_MS }]);
    const optIn = { atMs: now - DAY_MS, pastWeek: false };
    expect(await updatePeriods(fed, on(optIn), now - DAY_MS)).toEqual([openFrom(now - DAY_MS)]);
    expect(await updatePeriods(fed, on(optIn), now - 1000)).toEqual([openFrom(now - DAY_MS)]);
    expect(await updatePeriods(fed, off(optIn), now)).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    expect(await updatePeriods(fed, off(optIn), now + 1000)).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    expect(await fed.get('periods')).toEqual([{ fromMs: now - DAY_MS, toMs: now }]);
    fed.close();
  });

  it('opting in with the last 7 days starts the first period 7 days before the opt-in', async () => {
    const fed = await fresh();
    expect(await wasOn(fed)).toBe(false);
    const optIn = { atMs: now - 50, pastWeek: true };
    expect(await updatePeriods(fed, on(optIn), now)).toEqual([openFrom(now - KEEP_MS)]);
    expect(await updatePeriods(fed, on(optIn), now + 1000)).toEqual([openFrom(now - KEEP_MS)]);
    expect(await wasOn(fed)).toBe(true);
    fed.close();
  });

  it('the deployment consent (ENABLE_FEDERATION=true) reaches back 7 days once, like the default opt-in', async () => {
    const fed = await fresh();
    expect(await updatePeriods(fed, on(DEPLOYMENT_OPT_IN), now)).toEqual([openFrom(now - KEEP_MS)]);
    await updatePeriods(fed, off(null), now + DAY_MS);
    // Deployed without ENABLE_FEDERATION for a day, then with it again: shared from then on only.
    expect((await updatePeriods(fed, on(DEPLOYMENT_OPT_IN), now + 2 * DAY_MS)).at(-1)).toEqual(
      openFrom(now + 2 * DAY_MS),
    );
    fed.close();
  });

  it('turning task sharing on again while federation stays on shares from then on only', async () => {
    const fed = await fresh();
    const optIn = { atMs: now, pastWeek: true };
    await updatePeriods(fed, on(optIn), now);
    await updatePeriods(fed, on(optIn, false), now + DAY_MS);
    expect((await updatePeriods(fed, on(optIn), now + 2 * DAY_MS)).at(-1)).toEqual(
      openFrom(now + 2 * DAY_MS),
    );
    fed.close();
  });

  it('an opt-in made with task sharing off reaches back for nobody: turned on later, from then on', async () => {
    const fed = await fresh();
    const optIn = { atMs: now, pastWeek: true };
    expect(await updatePeriods(fed, on(optIn, false), now)).toEqual([]);
    expect(await wasOn(fed)).toBe(true);
    expect(await updatePeriods(fed, on(optIn), now + DAY_MS)).toEqual([openFrom(now + DAY_MS)]);
    fed.close();
  });

  it('a re-enable shares from then on, or the 7 days before it when chosen again', async () => {
    const first = { atMs: now, pastWeek: false };
    const start = { periods: [], optedIn: undefined };
    const enabled = nextSharing(start, { sharing: true, optIn: first }, now);
    const disabled = nextSharing(enabled, { sharing: false, optIn: first }, now + DAY_MS);
    const at = now + 3 * DAY_MS;
    const fromNow = nextSharing(disabled, { sharing: true, optIn: { atMs: at, pastWeek: false } }, at);
    expect(fromNow.periods).toEqual([{ fromMs: now, toMs: now + DAY_MS }, openFrom(at)]);
    const pastWeek = nextSharing(disabled, { sharing: true, optIn: { atMs: at, pastWeek: true } }, at);
    expect(pastWeek.periods.at(-1)).toEqual(openFrom(at - KEEP_MS));
    expect(pastWeek.optedIn).toBe(at);
    // The periods it was given are not changed in place.
    expect(enabled.periods).toEqual([openFrom(now)]);
  });

  it('an opt-in made before the choice existed (none stored) keeps sharing from when it was made', async () => {
    const fed = await fresh();
    await fed.set('periods', [openFrom(now - DAY_MS)]);
    expect(await updatePeriods(fed, on(null), now)).toEqual([openFrom(now - DAY_MS)]);
    expect(await updatePeriods(fed, on(null, false), now + 1)).toEqual([
      { fromMs: now - DAY_MS, toMs: now + 1 },
    ]);
    expect((await updatePeriods(fed, on(null), now + 2)).at(-1)).toEqual(openFrom(now + 2));
    expect(await wasOn(fed)).toBe(true);
    fed.close();
  });

  it('keeps at most 100 periods', async () => {
    const fed = await fresh();
    const optIn = { atMs: now, pastWeek: false };
    for (let i = 0; i < 120; i++) {
      await updatePeriods(fed, on(optIn), now + 2 * i);
      await updatePeriods(fed, off(optIn), now + 2 * i + 1);
    }
    const periods = (await fed.get('periods')) ?? [];
    expect(periods).toHaveLength(100);
    expect(periods.at(-1)).toEqual({ fromMs: now + 238, toMs: now + 239 });
    fed.close();
  });

  it('keeps the presence periods apart, following the heartbeat choice, each reaching back once per opt-in', async () => {
    const fed = await fresh();
    const optIn = { atMs: now, pastWeek: true };
    // Tasks off, presence on: only presence is shared, from 7 days back.
    expect(await updatePeriods(fed, on(optIn, false, true), now, 'tasks')).toEqual([]);
    expect(await updatePeriods(fed, on(optIn, false, true), now, 'presence')).toEqual([
      openFrom(now - KEEP_MS),
    ]);
    expect(await fed.get('presencePeriods')).toEqual([openFrom(now - KEEP_MS)]);
    // Presence turned off and on again: from then on.
    expect(await updatePeriods(fed, on(optIn, false, false), now + 1000, 'presence')).toEqual([
      { fromMs: now - KEEP_MS, toMs: now + 1000 },
    ]);
    expect(await updatePeriods(fed, on(optIn, false, true), now + 2000, 'presence')).toEqual([
      { fromMs: now - KEEP_MS, toMs: now + 1000 },
      openFrom(now + 2000),
    ]);
    expect(await fed.get('periods')).toEqual([]);
  });
});
