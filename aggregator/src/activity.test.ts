// Activity reports (an hour a node was up, from its own history, sent when a tab of its app runs, up to 7 days
// late): the aggregator counts distinct nodes per hour and per day from them exactly, with heartbeats meaning
// "a monitor is online now". Re-sends, two instances counting at once and a restart double nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { hourOf } from '../../protocol/federation.ts';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import {
  SUBJECTS,
  activity,
  getJson,
  heartbeat,
  hmac,
  metricValue,
  monitorConnection,
  publishAll,
  testConfig,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';
import { startAggregator, type Aggregator } from './aggregator.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('activity reports', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.close());

  it('count each node once per hour and day, late ones too, whoever counts them and however often', async () => {
    const now = Date.now();
    const thisHour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    // Node n was up in these hours (hours ago, counted from the current one).
    const up: Record<number, number[]> = {
      0: [1, 2, 3, 50, 6 * 24],
      1: [2, 3],
      2: [3, 100],
      3: [0],
    };
    const reports = Object.entries(up).flatMap(([n, hours]) =>
      hours.map((ago) => activity(Number(n), thisHour - ago * HOUR_MS)),
    );
    const refused = [
      activity(9, thisHour - 8 * DAY_MS), // too old
      activity(9, thisHour + 2 * HOUR_MS), // an hour still to come
    ];
    const config = testConfig(server, { heartbeatMinIntervalMs: 1000 });
    const instances: Aggregator[] = [
      await startAggregator(config, () => undefined),
      await startAggregator(config, () => undefined),
    ];
    const nc = await monitorConnection(server.url);
    try {
      // Everything three times; a heartbeat of node 0 (its monitor is online) and one of a stopped node 4.
      await publishAll(nc, SUBJECTS.activity, [...reports, ...reports, ...refused, ...reports]);
      await publishAll(nc, SUBJECTS.heartbeat, [
        heartbeat(0, { node: activity(0, now).node }),
        heartbeat(4, { node: activity(4, now).node, status: 'stopped' }),
      ]);
      const expected = (stats: StatsMessage) => {
        const byHour = Object.fromEntries(stats.hourly.map((h) => [Date.parse(h.hour), h.nodes]));
        const want: Record<number, number> = {};
        for (const hours of Object.values(up))
          for (const ago of hours) want[thisHour - ago * HOUR_MS] = (want[thisHour - ago * HOUR_MS] ?? 0) + 1;
        // Node 0's heartbeat now (running) sets the current hour too.
        want[thisHour] = (want[thisHour] ?? 0) + (up[0]!.includes(0) ? 0 : 1);
        for (const [hour, n] of Object.entries(want)) if (byHour[Number(hour)] !== n) return false;
        return Object.entries(byHour).every(([hour, n]) => want[Number(hour)] !== undefined || n === 0);
      };
      const counted = () => getJson<StatsMessage>(`${instances[0]!.httpUrl}/api/stats`);
      await poll('the hours counted', counted, expected);
      await poll(
        'every report seen',
        async () => instances[0]!.metrics.accepted.activity + instances[1]!.metrics.accepted.activity,
        (n) => n === reports.length * 3,
      );
      const rejected = await metricValue(instances[0]!.httpUrl, 'truwatch_rejected_total{reason="window"}');
      const rejected2 = await metricValue(instances[1]!.httpUrl, 'truwatch_rejected_total{reason="window"}');
      expect(rejected + rejected2).toBe(refused.length);

      const stats = await counted();
      // Monitors online now: node 0 and the stopped node 4; nodes up today: those with an hour of today.
      expect(stats.activeNodes).toBe(2);
      // Node 0's running heartbeat puts it in today's hour even if no report did.
      const upToday = Object.entries(up).filter(
        ([n, hours]) => n === '0' || hours.some((ago) => thisHour - ago * HOUR_MS >= today),
      ).length;
      expect(stats.nodesToday).toBe(upToday);
      expect(stats.hourly.find((h) => h.hour === hourOf(thisHour - 3 * HOUR_MS))!.nodes).toBe(3);

      // A restart reads the same from the bucket.
      await Promise.all(instances.splice(0).map((a) => a.stop()));
      instances.push(await startAggregator(config, () => undefined));
      const again = await poll('the counts after a restart', counted, expected);
      expect(again.nodesToday).toBe(stats.nodesToday);
    } finally {
      await nc.close();
      await Promise.all(instances.map((a) => a.stop()));
    }
  });

  it('refuses a report that is not one: a half hour, a node that is not a pseudonym, a field more', async () => {
    const aggregator = await startAggregator(testConfig(server), () => undefined);
    const nc = await monitorConnection(server.url);
    try {
      const good = activity(7, Date.now() - HOUR_MS);
      const before = await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="schema"}');
      await publishAll(nc, SUBJECTS.activity, [
        { ...good, hour: '2026-11-21T10:30:00Z' }, // not an hour's start
        { ...good, node: 'node-7' },
        { ...good, executionId: hmac('x') },
        { ...good, up: 12 },
      ]);
      await poll(
        'four refusals',
        () => metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="schema"}'),
        (n) => n === before + 4,
      );
    } finally {
      await nc.close();
      await aggregator.stop();
    }
  });
});
