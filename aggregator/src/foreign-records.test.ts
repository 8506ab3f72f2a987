// Foreign records in every bucket of a running aggregator (a child process), written as the aggregator user:
// not JSON, JSON of another shape (a JetStream PubAck), empty values, foreign keys, and publishing leases taken
// in advance for the next 20 s. Each record read is skipped and counted by its bucket; stats keep being
// published, exact for the honest messages, and the HTTP API answers.
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatsMessageSchema, WINDOW_MS, windowOf, type StatsMessage } from '../../protocol/federation.ts';
import { LATEST_STREAM } from '../../protocol/subjects.ts';
import { startAggregatorProcess, type AggregatorProcess } from '../../test/support/aggregator-process.ts';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import {
  SUBJECTS,
  configEnv,
  getJson,
  heartbeat,
  hmac,
  metricValue,
  monitorConnection,
  publishAll,
  task,
  testConfig,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';
import { nodeKey } from './nodes.ts';
import { rollupKey } from './rollup.ts';
import { BUCKETS } from './setup.ts';

const PUBACK = '{"stream":"KV_x","seq":1}';
const INTERVAL_MS = 200;

describe('foreign records in the buckets', () => {
  let server: NatsServer;
  let aggregator: AggregatorProcess;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    const config = testConfig(server, { statsIntervalMs: INTERVAL_MS });
    aggregator = await startAggregatorProcess(configEnv(config));
    nc = await connect({
      servers: server.url,
      user: config.natsUser,
      pass: config.natsPassword,
      inboxPrefix: '_INBOX_aggregator',
    });
  });
  afterAll(async () => {
    await nc?.close();
    await aggregator?.stop();
    await server?.close();
  });

  const skipped = (bucket: string) =>
    metricValue(aggregator.httpUrl, `truwatch_skipped_records_total{bucket="${bucket}"}`);

  it('skips and counts them, and keeps publishing exact stats', async () => {
    const now = Date.now();
    const window = windowOf(now);
    const tasks = Array.from({ length: 300 }, (_, i) => task(i, { window }));
    const beats = [0, 1, 2].map((i) => heartbeat(i));
    const kvm = new Kvm(nc);
    const rollups = await kvm.open(BUCKETS.rollups);
    const nodes = await kvm.open(BUCKETS.nodes);
    const dedup = await kvm.open(BUCKETS.dedup);
    const leases = await kvm.open(BUCKETS.leases);

    // Rollups: the window the honest tasks go to (not JSON), older windows (a PubAck, an empty value, counts
    // under labels no stats message allows), and a rollup under a foreign key.
    const older = (ms: number) => rollupKey(windowOf(now - ms));
    await rollups.put(rollupKey(window), '{"tasks":');
    await rollups.put(older(3600_000), PUBACK);
    await rollups.put(older(2 * 3600_000), '');
    await rollups.put(older(3 * 3600_000), JSON.stringify({ tasks: 5, outcomes: { weird: 5 } }));
    await rollups.put('x.1', JSON.stringify({ tasks: 7, outcomes: { completed: 7 } }));
    // Nodes: the record an honest heartbeat goes to (a PubAck), a foreign key that looks active, a node
    // heard in the far future, an empty value.
    await nodes.put(nodeKey(now, beats[0]!.node), PUBACK);
    await nodes.put('n.x', JSON.stringify({ l: now, h: 1, v: '1.2' }));
    await nodes.put(
      nodeKey(now, hmac('ghost')),
      JSON.stringify({ l: now + 400 * 86_400_000, h: 1, v: '1.2' }),
    );
    await nodes.put(nodeKey(now, hmac('empty')), '');
    // Dedup: the claims of two honest tasks (not a sequence, empty), and a foreign key.
    await dedup.put(tasks[0]!.key, PUBACK);
    await dedup.put(tasks[1]!.key, '');
    await dedup.put('foreign', '12');
    // Leases: every stats tick of the next 20 s and the next feeds, taken in advance, some by what looks
    // like an instance, some by junk.
    const tick = Math.floor(Date.now() / INTERVAL_MS);
    const junk = ['{"s":', PUBACK, '', '0123456789abcdef'];
    for (let i = 0; i < 20_000 / INTERVAL_MS; i++) await leases.put(`s.${tick + i}`, junk[i % junk.length]!);
    for (let i = 0; i < 4; i++)
      await leases.put(`f.${rollupKey(windowOf(now + i * WINDOW_MS)).slice(2)}`, junk[i % junk.length]!);
    await leases.put('foreign', PUBACK);

    const published = await metricValue(aggregator.httpUrl, 'truwatch_stats_published_total');
    const monitor = await monitorConnection(server.url);
    await publishAll(monitor, SUBJECTS.task, tasks);
    await publishAll(monitor, SUBJECTS.heartbeat, beats);
    await monitor.close();

    const completed = tasks.filter((t) => t.outcome === 'completed').length;
    const exact = (s: StatsMessage) =>
      s.tasks.last7d === 300 &&
      s.tasks.lastHour === 300 &&
      s.outcomes.completed === completed &&
      s.outcomes.failed === 300 - completed &&
      s.activeNodes === 3 &&
      s.nodesToday === 3;
    const stats = await poll(
      'the honest tasks and nodes counted',
      () => getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`),
      exact,
    );
    expect(v.is(StatsMessageSchema, stats)).toBe(true);
    // Published on NATS too, exact, and again and again while the leases taken in advance are still there.
    const jsm = await jetstreamManager(nc);
    await poll(
      'exact stats published',
      async () =>
        (await jsm.direct.getMessage(LATEST_STREAM, { last_by_subj: SUBJECTS.stats }))?.json<StatsMessage>(),
      (s) => s !== undefined && exact(s),
    );
    await poll(
      '10 more stats published',
      () => metricValue(aggregator.httpUrl, 'truwatch_stats_published_total'),
      (n) => n >= published + 10,
      10_000,
    );
    expect(Date.now() - now).toBeLessThan(20_000);

    const history = await fetch(`${aggregator.httpUrl}/api/history?step=hourly`);
    expect(history.status).toBe(200);
    const { points } = (await history.json()) as { points: { completed: number; failed: number }[] };
    expect(points.reduce((n, p) => n + p.completed + p.failed, 0)).toBe(300);
    expect((await fetch(`${aggregator.httpUrl}/api/history?step=daily`)).status).toBe(200);

    // Five foreign rollups seen by the watch, the honest window's once more when the tasks were counted.
    expect(await skipped('rollups')).toBeGreaterThanOrEqual(6);
    // Four foreign node records seen by the watch, the honest one's once more when its heartbeat counted.
    expect(await skipped('nodes')).toBeGreaterThanOrEqual(5);
    expect(await skipped('dedup')).toBe(2);
    expect(await skipped('leases')).toBeGreaterThanOrEqual(10);
    expect(await metricValue(aggregator.httpUrl, 'truwatch_accepted_total{type="task"}')).toBe(300);
    expect(aggregator.child.exitCode).toBeNull();
  }, 120_000);
});
