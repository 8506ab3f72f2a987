// The three-node cluster (nats/cluster/node.conf, with nats/users.conf's accounts): no reply subject a
// browser user names reaches the aggregator's JetStream, whichever node the browser and the aggregator use.
import { connect } from '@nats-io/transport-node';
import { describe, it } from 'vitest';
import { startNatsCluster } from '../../test/support/nats-cluster.ts';
import { DEV_USERS } from '../../test/support/nats-server.ts';
import { testConfig } from '../../test/support/federation-traffic.ts';
import { checkReplyInjection } from '../../test/support/reply-injection.ts';

describe('the cluster’s accounts', () => {
  it.each(['monitor', 'public'] as const)(
    'keeps every stream, the consumer and every bucket intact when %s names JetStream as the reply',
    async (attacker) => {
      const cluster = await startNatsCluster();
      try {
        // One writer: see "Limits" in aggregator/README.md (nats-server 2.9 clustered compare-and-set).
        const config = testConfig(cluster.urls, { replicas: 3, workers: 1 });
        await checkReplyInjection(
          {
            config,
            monitor: () => connect({ servers: cluster.nodes[1]!.url, ...DEV_USERS.monitor }),
            viewer: () =>
              connect({ servers: cluster.nodes[2]!.url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' }),
          },
          attacker,
        );
      } finally {
        await cluster.close();
      }
    },
    240_000,
  );
});
