// "Count, lose a node, count again": the aggregator counts tasks a monitor sent (with duplicates) while a node
// of the cluster is SIGKILLed mid-count, then restarted; then more tasks. Every count must stay exact.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { expect } from 'vitest';
import { startAggregator } from '../../aggregator/src/aggregator.ts';
import { natsConnection, type AggregatorConfig } from '../../aggregator/src/config.ts';
import { INGEST_STREAM } from '../../aggregator/src/setup.ts';
import { SUBJECTS, prepareStreams, publishAll, task, waitCounted } from './federation-traffic.ts';
import type { NatsServer } from './nats-server.ts';
import { poll } from './poll.ts';

export interface NodeLoss {
  config: AggregatorConfig;
  /** The monitor's connection the tasks are published on. */
  monitor: NatsConnection;
  /** Tasks sent before the loss (and 500 of them again), and after the node is back. */
  before: number;
  after: number;
  /** Kills (SIGKILL) a node once 1000 tasks were accepted; returns it, to be restarted. */
  kill(jsm: JetStreamManager): Promise<NatsServer>;
  /** More checks once every task is counted, while the aggregator still runs. */
  then?(jsm: JetStreamManager, total: number): Promise<void>;
}

export async function countAcrossNodeLoss(run: NodeLoss): Promise<void> {
  const { config, monitor } = run;
  await prepareStreams(config);
  const first = Array.from({ length: run.before }, (_, i) => task(i));
  await publishAll(monitor, SUBJECTS.task, [...first, ...first.slice(0, 500)]);
  const admin = await connect({ ...natsConnection(config), inboxPrefix: '_INBOX_aggregator' });
  const jsm = await jetstreamManager(admin);
  const ingest = () => jsm.streams.info(INGEST_STREAM);
  const sent = first.length + 500;
  const aggregator = await poll(
    `the ${sent} messages in the ingest stream`,
    async () => (await ingest()).state.messages,
    (n) => n === sent,
  )
    .then(() => startAggregator(config, () => undefined))
    .catch(async (error: unknown) => {
      await admin.close();
      throw error;
    });
  try {
    await poll(
      '1000 tasks accepted',
      async () => aggregator.metrics.accepted.task,
      (n) => n >= 1000,
    );
    const lost = await run.kill(jsm);
    expect((await waitCounted(aggregator.httpUrl, first.length)).tasks.last7d).toBe(first.length);

    await lost.restart();
    await poll(
      'two current replicas',
      async () => (await ingest()).cluster?.replicas?.filter((r) => r.current).length,
      (n) => n === 2,
      120_000,
    );
    const second = Array.from({ length: run.after }, (_, i) => task(10 * run.before + i));
    await publishAll(monitor, SUBJECTS.task, second);
    const total = first.length + second.length;
    const stats = await waitCounted(aggregator.httpUrl, total);
    expect(stats.tasks.last7d).toBe(total);
    expect(stats.outcomes.failed).toBe([...first, ...second].filter((t) => t.outcome === 'failed').length);
    await run.then?.(jsm, total);
  } finally {
    await aggregator.stop();
    await admin.close();
  }
}
