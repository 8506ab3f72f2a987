// The reply-subject injection against a federation server (dev, prod or cluster config): browser users name
// the aggregator's JetStream API or a KV subject as the reply of what they may publish, hoping that a
// JetStream answer performs the call (purge or delete a stream, delete the ingest consumer, overwrite a KV
// record). Checks that every stream, the consumer and every bucket are intact afterwards and that the
// aggregator's counts stay exact.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { expect } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { INGEST_SUBJECTS, LATEST_STREAM, SUBJECTS, latestSubject } from '../../protocol/subjects.ts';
import { startAggregator, type Aggregator } from '../../aggregator/src/aggregator.ts';
import { natsConnection, type AggregatorConfig } from '../../aggregator/src/config.ts';
import { BUCKETS, CONSUMER, INGEST_STREAM } from '../../aggregator/src/setup.ts';
import {
  getJson,
  heartbeat,
  metricValue,
  prepareStreams,
  publishAll,
  task,
  waitCounted,
} from './federation-traffic.ts';
import { poll } from './poll.ts';

export interface InjectionTarget {
  /** The aggregator's config for this server (URL, user, password, replicas). */
  config: AggregatorConfig;
  /** A new connection as `monitor`, as a browser connects to this server. */
  monitor(): Promise<NatsConnection>;
  /** A new connection as `public`, as the network page connects (inbox prefix `_INBOX_public`). */
  viewer(): Promise<NatsConnection>;
}

const STREAMS = [INGEST_STREAM, LATEST_STREAM, ...Object.values(BUCKETS).map((b) => `KV_${b}`)];
/** The JetStream direct get of the latest stats and feed, as the public user once sent it. */
const DIRECT_GETS = [SUBJECTS.stats, SUBJECTS.feed].map((s) => `$JS.API.DIRECT.GET.${LATEST_STREAM}.${s}`);

interface Snapshot {
  messages: Record<string, number>;
  consumer: boolean;
  /** One record of each bucket: its key, value and revision. */
  records: Record<string, { key: string; value: string; revision: number }>;
}

async function snapshot(jsm: JetStreamManager, nc: NatsConnection): Promise<Snapshot> {
  const messages: Record<string, number> = {};
  for (const name of STREAMS) {
    try {
      messages[name] = (await jsm.streams.info(name)).state.messages;
    } catch (error) {
      messages[name] = -1; // gone
      if (!/stream not found/i.test(String(error))) throw error;
    }
  }
  const consumer = await jsm.consumers.info(INGEST_STREAM, CONSUMER).then(
    () => true,
    () => false,
  );
  const records: Snapshot['records'] = {};
  const kvm = new Kvm(nc);
  for (const bucket of Object.values(BUCKETS)) {
    try {
      const kv = await kvm.open(bucket);
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      keys.sort();
      const entry = keys[0] === undefined ? null : await kv.get(keys[0]);
      records[bucket] = { key: keys[0] ?? '', value: entry?.string() ?? '', revision: entry?.revision ?? 0 };
    } catch {
      records[bucket] = { key: '', value: 'unreadable', revision: -1 };
    }
  }
  return { messages, consumer, records };
}

/** Every reply subject that would harm the aggregator's JetStream if a JetStream answer were sent to it. */
function hostileReplies(records: Snapshot['records']): string[] {
  return [
    ...STREAMS.flatMap((s) => [`$JS.API.STREAM.PURGE.${s}`, `$JS.API.STREAM.DELETE.${s}`]),
    `$JS.API.CONSUMER.DELETE.${INGEST_STREAM}.${CONSUMER}`,
    ...Object.entries(records).map(([bucket, { key }]) => `$KV.${bucket}.${key}`),
  ];
}

/**
 * Counts some traffic with a real aggregator, stops it, leaves 10 tasks waiting in the ingest stream, then
 * publishes with every hostile reply as `attacker`: `monitor` sends tasks and heartbeats, `public` the
 * latest-snapshot requests and the JetStream direct gets the public user once had. Every stream, the consumer and one record of
 * each bucket must be as they were; the aggregator, started again, must count exactly the tasks sent.
 */
export async function checkReplyInjection(
  target: InjectionTarget,
  attacker: 'monitor' | 'public',
): Promise<void> {
  const { config } = target;
  await prepareStreams(config);
  const monitor = await target.monitor();
  const viewer = await target.viewer();
  const admin = await connect({
    ...natsConnection(config),
    inboxPrefix: '_INBOX_aggregator',
  });
  const jsm = await jetstreamManager(admin);
  let aggregator: Aggregator | undefined = await startAggregator(config, () => undefined);
  try {
    // Counted traffic: 20 tasks, 3 nodes; wait until every bucket and the latest stream hold something.
    await publishAll(
      monitor,
      SUBJECTS.task,
      Array.from({ length: 20 }, (_, i) => task(i)),
    );
    await publishAll(
      monitor,
      SUBJECTS.heartbeat,
      [0, 1, 2].map((i) => heartbeat(i)),
    );
    await waitCounted(aggregator.httpUrl, 20);
    // The heartbeats came after the tasks: counted once the stats say so (a snapshot at most once a second).
    const counted = await poll(
      'the three nodes active',
      () => getJson<StatsMessage>(`${aggregator!.httpUrl}/api/stats`),
      (s) => s.activeNodes >= 3,
    );
    expect(counted.activeNodes).toBe(3);
    await poll(
      'the latest snapshot and a record in every bucket',
      () => snapshot(jsm, admin),
      (s) =>
        s.messages[LATEST_STREAM]! >= 1 &&
        Object.values(s.records).every((r) => r.key !== '' && r.revision > 0),
    );
    await aggregator.stop();
    aggregator = undefined;

    // 10 tasks wait in the ingest stream while no aggregator runs.
    await publishAll(
      monitor,
      SUBJECTS.task,
      Array.from({ length: 10 }, (_, i) => task(20 + i)),
    );
    const before = await poll(
      'ten tasks waiting in the ingest stream',
      () => snapshot(jsm, admin),
      (s) => s.messages[INGEST_STREAM] === 10,
    );
    const replies = hostileReplies(before.records);

    for (const reply of replies) {
      if (attacker === 'monitor')
        for (const subject of INGEST_SUBJECTS) monitor.publish(subject, '{"attack":true}', { reply });
      else
        for (const subject of [latestSubject(SUBJECTS.stats), latestSubject(SUBJECTS.feed), ...DIRECT_GETS])
          viewer.publish(subject, '', { reply });
    }
    // The monitor's messages reach the ingest stream (on a cluster, once its leader committed them); whatever
    // else the server answers (or refuses) has happened a while after both round trips are done.
    await Promise.allSettled([monitor.flush(), viewer.flush()]);
    const attacks = attacker === 'monitor' ? replies.length * INGEST_SUBJECTS.length : 0;
    await poll(
      `${attacks} messages more in the ingest stream`,
      () => snapshot(jsm, admin),
      (s) => s.messages[INGEST_STREAM]! >= before.messages[INGEST_STREAM]! + attacks,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await admin.flush();

    const after = await snapshot(jsm, admin);
    expect(after).toEqual({
      ...before,
      messages: { ...before.messages, [INGEST_STREAM]: before.messages[INGEST_STREAM]! + attacks },
    });

    aggregator = await startAggregator(config, () => undefined);
    const stats = await waitCounted(aggregator.httpUrl, 30);
    expect(stats.tasks.last7d).toBe(30);
    expect(await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="schema"}')).toBe(attacks);
    expect((await getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`)).tasks.last7d).toBe(30);
  } finally {
    await aggregator?.stop();
    await Promise.allSettled([monitor.close(), viewer.close(), admin.close()]);
  }
}
