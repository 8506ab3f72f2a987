// The production cluster of three (nats/cluster: TLS, streams and buckets with 3 replicas): one node killed
// while the aggregator counts, and brought back; the counts stay exact.
import { rmSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster, type Running } from '../../test/support/nats-cluster.ts';
import { TEST_AGGREGATOR } from '../../test/support/nats-prod-checks.ts';
import { wss } from '../../test/support/nats-wss.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';
import { startAggregator } from './aggregator.ts';
import { natsConnection } from './config.ts';
import { INGEST_STREAM } from './setup.ts';
import {
  SUBJECTS,
  prepareStreams,
  publishAll,
  task,
  testConfig,
  waitCounted,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

describe('a three-node cluster', () => {
  let certificate: TestCertificate;
  let running: Running<NatsCluster>;
  let cluster: NatsCluster;
  beforeAll(async () => {
    certificate = makeCertificate();
    running = await startNatsCluster({ certificate });
    cluster = running.value;
  }, 60_000);
  afterAll(async () => {
    await running?.close();
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('counts exactly when a node is killed during the load', async () => {
    // One writer: see "Limits" in aggregator/README.md (nats-server 2.9 clustered compare-and-set).
    const config = testConfig(cluster.urls, {
      natsPassword: TEST_AGGREGATOR.pass,
      natsCa: certificate.ca,
      replicas: 3,
      batchSize: 100,
      workers: 1,
    });
    await prepareStreams(config);
    const first = Array.from({ length: 6000 }, (_, i) => task(i));
    const monitor = await wss(cluster.wssUrl(0), certificate.pem, 'monitor', 'monitor');
    await publishAll(monitor, SUBJECTS.task, [...first, ...first.slice(0, 500)]);

    const admin = await connect({ ...natsConnection(config), inboxPrefix: '_INBOX_aggregator' });
    const jsm = await jetstreamManager(admin);
    await poll(
      'the 6500 messages in the ingest stream',
      async () => (await jsm.streams.info(INGEST_STREAM)).state.messages,
      (n) => n === 6500,
    );

    const aggregator = await startAggregator(config, () => undefined);
    try {
      await poll(
        '1000 tasks accepted',
        async () => aggregator.metrics.accepted.task,
        (n) => n >= 1000,
      );
      await cluster.nodes[2]!.stop('SIGKILL');
      expect((await waitCounted(aggregator.httpUrl, 6000)).tasks.last7d).toBe(6000);

      await cluster.nodes[2]!.restart();
      await poll(
        'two current replicas',
        async () =>
          (await jsm.streams.info(INGEST_STREAM)).cluster?.replicas?.filter((r) => r.current).length,
        (n) => n === 2,
        120_000,
      );
      const second = Array.from({ length: 2000 }, (_, i) => task(10_000 + i));
      await publishAll(monitor, SUBJECTS.task, second);
      const stats = await waitCounted(aggregator.httpUrl, 8000);
      expect(stats.tasks.last7d).toBe(8000);
      expect(stats.outcomes.failed).toBe([...first, ...second].filter((t) => t.outcome === 'failed').length);
    } finally {
      await aggregator.stop();
      await monitor.close();
      await admin.close();
    }
  }, 400_000);
});
