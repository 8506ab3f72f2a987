// Starts a three-node nats-server cluster (nats/cluster/node.conf) on free ports with temporary stores,
// for tests.
import { freePort } from './free-port.ts';
import { startNatsServer, type NatsServer } from './nats-server.ts';

export const CLUSTER_CONF = new URL('../../nats/cluster/node.conf', import.meta.url).pathname;

export interface NatsCluster {
  nodes: NatsServer[];
  /** Every node's client URL, comma-separated (the aggregator's NATS_URL). */
  urls: string;
  close(): Promise<void>;
}

export async function startNatsCluster(): Promise<NatsCluster> {
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const routes = Object.fromEntries(
    routePorts.map((port, i) => [`NATS_ROUTE_${i + 1}`, `nats://127.0.0.1:${port}`]),
  );
  const nodes = await Promise.all(
    routePorts.map((port, i) =>
      startNatsServer({
        config: CLUSTER_CONF,
        env: { NATS_SERVER_NAME: `truwatch-${'abc'[i]}`, NATS_CLUSTER_PORT: String(port), ...routes },
      }),
    ),
  );
  return {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}
