// A describe block's nats-server and in-process aggregator, started before its tests and stopped after.
import { afterAll, beforeAll } from 'vitest';
import { startNatsServer, type NatsServer } from './nats-server.ts';
import { startAggregator, type Aggregator } from '../../aggregator/src/aggregator.ts';
import { testConfig } from './federation-traffic.ts';

export function useAggregator(): { server(): NatsServer; aggregator(): Aggregator } {
  let server: NatsServer;
  let aggregator: Aggregator;
  beforeAll(async () => {
    server = await startNatsServer();
    aggregator = await startAggregator(testConfig(server), () => undefined);
  });
  afterAll(async () => {
    await aggregator?.stop();
    await server?.close();
  });
  return { server: () => server, aggregator: () => aggregator };
}
