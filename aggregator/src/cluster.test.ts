// The production cluster of three (nats/cluster: TLS, streams and buckets with 3 replicas): one node killed
// while the aggregator counts, and brought back; the counts stay exact.
import { describe, it } from 'vitest';
import { TEST_AGGREGATOR } from '../../test/support/nats-prod-checks.ts';
import { useNatsCluster } from '../../test/support/nats-cluster-fixture.ts';
import { wss } from '../../test/support/nats-wss.ts';
import { countAcrossNodeLoss } from '../../test/support/node-loss.ts';
import { testConfig } from '../../test/support/federation-traffic.ts';

describe('a three-node cluster', () => {
  const cluster = useNatsCluster();

  it('counts exactly when a node is killed during the load', async () => {
    const { value: nats, certificate } = cluster;
    // One writer: see "Limits" in aggregator/README.md (nats-server 2.9 clustered compare-and-set).
    const config = testConfig(nats.urls, {
      natsPassword: TEST_AGGREGATOR.pass,
      natsCa: certificate.ca,
      replicas: 3,
      batchSize: 100,
      workers: 1,
    });
    const monitor = await wss(nats.wssUrl(0), certificate.pem, 'monitor', 'monitor');
    try {
      await countAcrossNodeLoss({
        config,
        monitor,
        before: 6000,
        after: 2000,
        kill: async () => {
          await nats.nodes[2]!.stop('SIGKILL');
          return nats.nodes[2]!;
        },
      });
    } finally {
      await monitor.close();
    }
  }, 400_000);
});
