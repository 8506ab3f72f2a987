// The production cluster of three (nats/cluster/node.conf with the users of nats/prod/users.conf) on Debian's
// nats-server: TLS on clients, WebSocket and routes, routes only between holders of the federation CA's
// certificates, and no reply subject a browser user names reaches the aggregator's JetStream, whichever node
// the browser and the aggregator use.
import { rmSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { startAggregator } from '../../aggregator/src/aggregator.ts';
import { testConfig } from '../../test/support/federation-traffic.ts';
import { startNatsCluster, type NatsCluster } from '../../test/support/nats-cluster.ts';
import { useNatsCluster } from '../../test/support/nats-cluster-fixture.ts';
import { TEST_AGGREGATOR } from '../../test/support/nats-prod-checks.ts';
import { peerSession } from '../../test/support/nats-peer-tls.ts';
import { wss } from '../../test/support/nats-wss.ts';
import { checkReplyInjection } from '../../test/support/reply-injection.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';

describe('the production cluster (nats/cluster)', () => {
  const fixture = useNatsCluster();
  let certificate: TestCertificate;
  let cluster: NatsCluster;
  beforeAll(() => {
    ({ certificate, value: cluster } = fixture);
  });

  it('speaks TLS to clients and browsers, and refuses those that do not trust its CA with a clear error', async () => {
    const config = testConfig(cluster.urls, { natsPassword: TEST_AGGREGATOR.pass, natsCa: certificate.ca });
    const aggregator = await connect({
      servers: cluster.nodes[0]!.url,
      ...TEST_AGGREGATOR,
      tls: { caFile: certificate.ca },
      reconnect: false,
    });
    expect(aggregator.info?.tls_required).toBe(true);
    await aggregator.close();
    // Without the CA: the aggregator says what is wrong and what to set.
    await expect(
      startAggregator({ ...config, natsCa: undefined, natsUrl: cluster.nodes[0]!.url }, () => undefined),
    ).rejects.toThrow(/TLS certificate is not trusted.*set NATS_CA/);
    const stranger = makeCertificate();
    try {
      await expect(
        startAggregator({ ...config, natsCa: stranger.ca, natsUrl: cluster.nodes[0]!.url }, () => undefined),
      ).rejects.toThrow(/not trusted.*did not sign it/);
      // Browsers: WSS with the CA; plain WebSocket and WSS without trusting the CA are refused.
      const monitor = await wss(cluster.wssUrl(1), certificate.pem, 'monitor', 'monitor');
      await monitor.close();
      await expect(wss(cluster.wssUrl(1), stranger.pem, 'monitor', 'monitor')).rejects.toThrow();
      await expect(
        wss(cluster.wssUrl(1).replace('wss://', 'ws://'), certificate.pem, 'monitor', 'monitor'),
      ).rejects.toThrow();
    } finally {
      rmSync(stranger.dir, { recursive: true, force: true });
    }
  });

  it('routes over mutual TLS, and a server whose certificate another CA signed cannot join', async () => {
    const impostor = makeCertificate();
    try {
      for (const node of cluster.nodes) {
        const routez = (await (await fetch(`${node.monitorUrl}/routez`)).json()) as { num_routes: number };
        expect(routez.num_routes).toBe(2);
        const varz = (await (await fetch(`${node.monitorUrl}/varz`)).json()) as {
          cluster: { cluster_port: number; tls_required: boolean; tls_verify: boolean };
        };
        expect(varz.cluster).toMatchObject({ tls_required: true, tls_verify: true });
        const port = varz.cluster.cluster_port;
        // A peer with a certificate the CA signed is answered, over TLS; one from another CA is refused.
        expect(await peerSession(port, certificate, certificate.pem)).toMatchObject({
          cluster: 'truwatch',
          tls_required: true,
        });
        await expect(peerSession(port, impostor, certificate.pem)).rejects.toThrow(/unknown ca|certificate/i);
      }
    } finally {
      rmSync(impostor.dir, { recursive: true, force: true });
    }
  });

  it.each(['monitor', 'public'] as const)(
    'keeps every stream, the consumer and every bucket intact when %s (over WSS) names JetStream as the reply',
    async (attacker) => {
      // A cluster of its own: the injection needs a JetStream store no other test has written to.
      const own = await startNatsCluster({ certificate });
      try {
        // One writer: see "Limits" in aggregator/README.md (nats-server 2.9 clustered compare-and-set).
        const config = testConfig(own.value.urls, {
          natsPassword: TEST_AGGREGATOR.pass,
          natsCa: certificate.ca,
          replicas: 3,
          workers: 1,
        });
        await checkReplyInjection(
          {
            config,
            monitor: () => wss(own.value.wssUrl(1), certificate.pem, 'monitor', 'monitor'),
            viewer: () => wss(own.value.wssUrl(2), certificate.pem, 'public', 'public', '_INBOX_public'),
          },
          attacker,
        );
      } finally {
        await own.close();
      }
    },
    240_000,
  );
});
