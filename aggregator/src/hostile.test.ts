// 10 000 hostile messages at a running aggregator (a child process): every one refused and counted by its
// reason, the process stays up, its memory stays flat, and the statistics do not move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowOf, type StatsMessage } from '../../protocol/federation.ts';
import { startAggregatorProcess, type AggregatorProcess } from '../../test/support/aggregator-process.ts';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import { REASONS } from './metrics.ts';
import {
  SUBJECTS,
  configEnv,
  getJson,
  heartbeat,
  metricValue,
  monitorConnection,
  publishAll,
  task,
  testConfig,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

const DAY_MS = 24 * 3600_000;

function hostileRound(round: number) {
  const now = Date.now();
  const n = (count: number, make: (i: number) => object | string) =>
    Array.from({ length: count }, (_, i) => make(round * 100_000 + i));
  const tasks = [
    ...n(1500, (i) => ({ ...task(i), chain: 1 })),
    ...n(1500, (i) => ({ ...task(i), wallet: '0xabc' })),
    ...n(1000, (i) => ({ ...task(i), chain: '1'.repeat(12), client: '1.2.3', pad: 'x'.repeat(1500) })),
    ...n(1000, (i) => task(i, { window: windowOf(now + 3600_000) })),
    ...n(1000, (i) => task(i, { window: windowOf(now - 8 * DAY_MS) })),
    ...n(500, (i) => JSON.stringify(task(i)).slice(0, 40)),
    ...n(500, (i) => String.fromCharCode(...Array.from({ length: 64 }, (_, j) => (i * 31 + j * 7) % 256))),
  ];
  const beats = [...n(2000, () => heartbeat(0)), ...n(1000, (i) => `{"v":1,"node":${i}`)];
  return {
    tasks,
    beats,
    expected: { schema: 3000, oversize: 1000, window: 2000, ratelimit: 2000, json: 2000 },
  };
}

describe('hostile input', () => {
  let server: NatsServer;
  let aggregator: AggregatorProcess;
  beforeAll(async () => {
    server = await startNatsServer();
    aggregator = await startAggregatorProcess(configEnv(testConfig(server)));
  });
  afterAll(async () => {
    await aggregator?.stop();
    await server?.close();
  });

  const rejected = async () =>
    Object.fromEntries(
      await Promise.all(
        REASONS.map(async (r) => [
          r,
          await metricValue(aggregator.httpUrl, `truwatch_rejected_total{reason="${r}"}`),
        ]),
      ),
    ) as Record<(typeof REASONS)[number], number>;

  it('refuses 10 000 hostile messages, counts them by reason, and keeps the stats and memory as they were', async () => {
    const nc = await monitorConnection(server.url);
    await publishAll(nc, SUBJECTS.task, [task(1), task(2)]);
    await publishAll(nc, SUBJECTS.heartbeat, [heartbeat(0)]);
    const { at: _at, ...before } = await poll(
      'the two good tasks and the node counted',
      () => getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`),
      (s) => s.tasks.last7d === 2 && s.activeNodes === 1,
    );
    const rss: number[] = [];
    for (let round = 0; round < 3; round++) {
      const { tasks, beats, expected } = hostileRound(round);
      expect(tasks.length + beats.length).toBe(10_000);
      await publishAll(nc, SUBJECTS.task, tasks);
      await publishAll(nc, SUBJECTS.heartbeat, beats);
      const counts = await poll(
        `round ${round}'s hostile messages rejected`,
        rejected,
        (r) => r.schema + r.oversize + r.window + r.ratelimit + r.json >= 10_000 * (round + 1),
      );
      // Every other reason (the tokens', which this aggregator does not require) stays at 0.
      expect(counts).toEqual({
        ...Object.fromEntries(REASONS.map((r) => [r, 0])),
        ...Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v * (round + 1)])),
      });
      rss.push(aggregator.usage().rssMb);
    }
    await nc.close();
    const { at: _at2, ...after } = await getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`);
    expect(after).toEqual(before);
    expect(await metricValue(aggregator.httpUrl, 'truwatch_accepted_total{type="task"}')).toBe(2);
    expect(aggregator.child.exitCode).toBeNull();
    // Flat: the third round costs no more memory than the first left it with (generous for GC timing).
    expect(rss[2]!).toBeLessThan(rss[0]! + 40);
  }, 300_000);
});
