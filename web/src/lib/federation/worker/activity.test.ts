import 'fake-indexeddb/auto';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ActivityMessageSchema, WINDOW_MS } from '../../../../../protocol/federation.ts';
import { freshDb, putAll, sampleEntries } from '../../../../../test/support/monitor-db.ts';
import { blockOf } from '../../db/blocks.ts';
import { HOUR_MS } from '../../db/up-hours.ts';
import { pendingActivity, recordActivity } from './activity.ts';
import { DAY_MS, FederationDb, type Period } from './federation-db.ts';
import { Identity, newSecret } from './identity.ts';

const now = Date.parse('2026-11-21T12:20:00Z');
const hour = (ago: number) => Date.parse('2026-11-21T12:00:00Z') - ago * HOUR_MS;
const template = sampleEntries()[0]!;

async function setup(entryTimes: number[]) {
  const main = await freshDb();
  const entries = entryTimes.map((tsMs, i) => ({ ...template, id: `c-${String(i).padStart(4, '0')}`, tsMs }));
  if (entries.length) await putAll(main, 'blocks', [blockOf(entries)]);
  await main.put('node', { key: 'node', runnerVersion: '2.4.1' });
  const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
  return { main, fed, identity: await Identity.from(newSecret()) };
}

describe('activity reports', () => {
  it('reports each closed, shared hour the node was up, once, under the pseudonym of its day', async () => {
    const times = [hour(0) + 60_000, hour(1) + 60_000, hour(3) + 60_000, hour(30), hour(8 * 24)];
    const { main, fed, identity } = await setup(times);
    // Shared from 26 hours ago (in the middle of an hour): the hour 30 ago and the one cut by the start are not.
    const periods: Period[] = [{ fromMs: hour(26) - 30 * 60_000, toMs: null }];
    const input = { identity, periods, region: 'EU' as const, nowMs: now };
    const { reports, refused } = await pendingActivity(fed, main, input);
    expect(refused).toEqual([]);
    // The current hour (12:00) is not over: only 11:00 and 09:00.
    expect(reports.map((r) => r.hourMs)).toEqual([hour(3), hour(1)]);
    for (const report of reports) {
      const message = v.parse(ActivityMessageSchema, JSON.parse(report.json));
      expect(message).toEqual({
        v: 1,
        node: await identity.nodePseudonym(report.hourMs),
        hour: new Date(report.hourMs).toISOString().replace('.000Z', 'Z'),
        version: '2.4',
        client: message.client,
        region: 'EU',
      });
    }
    // Refused by the server: logged as refused, still to report; sent: logged, not reported again.
    await recordActivity(fed, [reports[0]!], now, 'Permissions Violation');
    expect((await pendingActivity(fed, main, input)).reports.map((r) => r.hourMs)).toEqual([
      hour(3),
      hour(1),
    ]);
    await recordActivity(fed, [reports[0]!], now);
    expect((await pendingActivity(fed, main, input)).reports.map((r) => r.hourMs)).toEqual([hour(1)]);
    const log = await fed.db.getAll('sent');
    expect(log.map((r) => [r.kind, r.refused])).toEqual([
      ['activity', 'Permissions Violation'],
      ['activity', undefined],
    ]);
    // Nothing when presence was not shared then.
    const none = await pendingActivity(fed, main, { ...input, periods: [{ fromMs: now, toMs: null }] });
    expect(none.reports).toEqual([]);
  });

  it('reports no hour the aggregator would find over 7 days old when it arrives', async () => {
    const week = 7 * 24;
    const { main, fed, identity } = await setup([hour(week) + 60_000, hour(week - 1) + 60_000]);
    const input = { identity, periods: [{ fromMs: 0, toMs: null }], region: undefined, nowMs: now };
    const { reports } = await pendingActivity(fed, main, input);
    expect(reports.map((r) => r.hourMs)).toEqual([hour(week - 1)]);
    // The aggregator's rule (aggregator/src/ingest.ts hourAccepted): an hour at most 7 days before the arrival's
    // 5-minute window. Sent now, the hour reported counts; the hour before it would not.
    const oldestAccepted = Math.floor(now / WINDOW_MS) * WINDOW_MS - 7 * DAY_MS;
    expect(hour(week - 1)).toBeGreaterThanOrEqual(oldestAccepted);
    expect(hour(week)).toBeLessThan(oldestAccepted);
  });

  it('forgets reported hours older than 7 days', async () => {
    const { fed } = await setup([]);
    const report = (hourMs: number) => ({ hourMs, json: '{}' });
    await recordActivity(fed, [report(hour(9 * 24)), report(hour(2))], now - DAY_MS);
    await recordActivity(fed, [report(hour(1))], now);
    expect(await fed.get('activitySent')).toEqual([hour(2), hour(1)]);
  });
});
