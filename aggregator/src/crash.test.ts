// The aggregator killed (SIGKILL) in the middle of a stream, several times, and restarted: the counts are
// exact. Also two instances counting one stream at once, and nats-server killed (SIGKILL) mid-stream and
// restarted: exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { startAggregatorProcess } from '../../test/support/aggregator-process.ts';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import { startAggregator } from './aggregator.ts';
import {
  SUBJECTS,
  configEnv,
  getJson,
  metricValue,
  monitorConnection,
  prepareStreams,
  publishAll,
  task,
  testConfig,
  waitCounted,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

const TASKS = 12_000;

describe('exact counts across crashes and concurrent instances', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.close());

  it('stays exact when the aggregator is killed mid-stream and restarted', async () => {
    const tasks = Array.from({ length: TASKS }, (_, i) => task(i));
    const config = testConfig(server, { batchSize: 100 });
    await prepareStreams(config);
    const nc = await monitorConnection(server.url);
    await publishAll(nc, SUBJECTS.task, [...tasks, ...tasks.slice(0, 2000)]);
    await nc.close();
    const env = configEnv(config);
    let kills = 0;
    for (; kills < 3; kills++) {
      const child = await startAggregatorProcess(env);
      const before = await metricValue(child.httpUrl, 'truwatch_accepted_total{type="task"}');
      await poll(
        '500 more tasks accepted',
        () => metricValue(child.httpUrl, 'truwatch_accepted_total{type="task"}'),
        (n) => n >= before + 500,
      );
      await child.stop('SIGKILL');
    }
    const last = await startAggregatorProcess(env);
    try {
      const stats = await waitCounted(last.httpUrl, TASKS);
      expect(stats.tasks.last7d).toBe(TASKS);
      expect(stats.outcomes.failed).toBe(tasks.filter((t) => t.outcome === 'failed').length);
      expect(kills).toBe(3);
    } finally {
      await last.stop();
    }
  }, 300_000);

  it('stays exact with two instances counting at once', async () => {
    const start = TASKS * 2;
    const tasks = Array.from({ length: 8000 }, (_, i) => task(start + i, { outcome: 'failed' }));
    const config = testConfig(server, { batchSize: 50 });
    const [a, b] = await Promise.all([
      startAggregator(config, () => undefined),
      startAggregator(config, () => undefined),
    ]);
    try {
      const before = await getJson<StatsMessage>(`${a.httpUrl}/api/stats`);
      const nc = await monitorConnection(server.url);
      await publishAll(nc, SUBJECTS.task, [...tasks, ...tasks.slice(0, 1000).reverse()]);
      await nc.close();
      const stats = await waitCounted(b.httpUrl, before.tasks.last7d + tasks.length);
      expect(stats.tasks.last7d - before.tasks.last7d).toBe(tasks.length);
      expect((stats.outcomes.failed ?? 0) - (before.outcomes.failed ?? 0)).toBe(tasks.length);
      expect(a.metrics.accepted.task).toBeGreaterThan(0);
      expect(b.metrics.accepted.task).toBeGreaterThan(0);
      expect(a.metrics.kvConflicts + b.metrics.kvConflicts).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 300_000);

  it('stays exact when nats-server is killed mid-stream and restarted', async () => {
    const tasks = Array.from({ length: 20_000 }, (_, i) => task(100_000 + i));
    const config = testConfig(server, { batchSize: 100 });
    const child = await startAggregatorProcess(configEnv(config));
    try {
      const before = await getJson<StatsMessage>(`${child.httpUrl}/api/stats`);
      const accepted = await metricValue(child.httpUrl, 'truwatch_accepted_total{type="task"}');
      const nc = await monitorConnection(server.url);
      await publishAll(nc, SUBJECTS.task, tasks);
      await nc.close();
      await poll(
        '4000 tasks accepted',
        () => metricValue(child.httpUrl, 'truwatch_accepted_total{type="task"}'),
        (n) => n >= accepted + 4000,
      );
      await server.stop('SIGKILL');
      await server.restart();
      const stats = await waitCounted(child.httpUrl, before.tasks.last7d + tasks.length);
      expect(stats.tasks.last7d - before.tasks.last7d).toBe(tasks.length);
      expect((stats.outcomes.failed ?? 0) - (before.outcomes.failed ?? 0)).toBe(
        tasks.filter((t) => t.outcome === 'failed').length,
      );
    } finally {
      await child.stop();
    }
  }, 300_000);
});
