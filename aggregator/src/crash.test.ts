// The aggregator killed (SIGKILL) in the middle of a stream, several times, and restarted: the counts are
// exact. Also two instances counting one stream at once, and nats-server killed (SIGKILL) mid-stream and
// restarted: exact, and the counted messages the crash left in the ingest stream are deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { startAggregatorProcess } from '../../test/support/aggregator-process.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { INGEST_STREAM } from './setup.ts';
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

      // What the crash left in the ingest stream, all counted, goes within a few rounds of 2000 deletions.
      const admin = await connect({
        servers: server.url,
        ...DEV_USERS.aggregator,
        inboxPrefix: '_INBOX_aggregator',
      });
      try {
        const jsm = await jetstreamManager(admin);
        // The metric first: the deletions keep going while the stream is read.
        const removedBefore = await metricValue(child.httpUrl, 'truwatch_ingest_leftovers_removed_total');
        const left = (await jsm.streams.info(INGEST_STREAM)).state.messages;
        await poll(
          'an empty ingest stream',
          async () => (await jsm.streams.info(INGEST_STREAM)).state.messages,
          (n) => n === 0,
          240_000,
        );
        console.log(
          JSON.stringify({
            leftoversDeleted: await metricValue(child.httpUrl, 'truwatch_ingest_leftovers_removed_total'),
          }),
        );
        const removed =
          (await metricValue(child.httpUrl, 'truwatch_ingest_leftovers_removed_total')) - removedBefore;
        expect(removed).toBeGreaterThanOrEqual(left);
        // Counting goes on, exact.
        const more = Array.from({ length: 2000 }, (_, i) => task(200_000 + i));
        const monitor = await monitorConnection(server.url);
        await publishAll(monitor, SUBJECTS.task, more);
        await monitor.close();
        const after = await waitCounted(child.httpUrl, before.tasks.last7d + tasks.length + more.length);
        expect(after.tasks.last7d - before.tasks.last7d).toBe(tasks.length + more.length);
      } finally {
        await admin.close();
      }
    } finally {
      await child.stop();
    }
  }, 600_000);
});
