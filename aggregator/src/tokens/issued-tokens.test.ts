// The issuer and the aggregator together, as a federation host runs them: tokens fetched from the real issuer
// by the real client library (@cloudflare/privacypass-ts) count on an aggregator that reads the issuer's keys
// file, on a real nats-server; the same tokens replayed, and tokens of another issuer, do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../../protocol/federation.ts';
import { startAggregator, type Aggregator } from '../aggregator.ts';
import { keysFileOf } from '../issuer/keys-file.ts';
import {
  SUBJECTS,
  getJson,
  heartbeat,
  metricValue,
  monitorConnection,
  publishAll,
  task,
  testConfig,
  waitCounted,
} from '../../../test/support/federation-traffic.ts';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';
import { startNatsServer, type NatsServer } from '../../../test/support/nats-server.ts';
import { poll } from '../../../test/support/poll.ts';

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describe('tokens from the issuer, counted by the aggregator', () => {
  let server: NatsServer;
  let issuer: TestIssuer;
  let other: TestIssuer;
  let aggregator: Aggregator;
  beforeAll(async () => {
    server = await startNatsServer();
    issuer = await startTestIssuer({ policy: 'dev' });
    other = await startTestIssuer({ policy: 'dev', issuerName: 'other.test' });
    aggregator = await startAggregator(
      testConfig(server, {
        tokens: {
          keysFile: keysFileOf(issuer.config.dataDir),
          issuerName: issuer.config.issuerName,
          spentMaxTokens: 100_000,
        },
      }),
      () => undefined,
    );
  });
  afterAll(async () => {
    await aggregator?.stop();
    await issuer?.stop();
    await other?.stop();
    await server?.close();
  });

  it('counts a node and its tasks with issued tokens, and nothing of the same tokens replayed', async () => {
    const { issuerName } = issuer.config;
    const presence = base64url(await fetchToken(issuer.url, issuerName, 'presence'));
    const taskTokens: string[] = [];
    for (let i = 0; i < 5; i++) taskTokens.push(base64url(await fetchToken(issuer.url, issuerName, 'task')));
    const foreign = base64url(await fetchToken(other.url, 'other.test', 'task'));

    const nc = await monitorConnection(server.url);
    await publishAll(nc, SUBJECTS.heartbeat, [heartbeat(0, { token: presence })]);
    await publishAll(
      nc,
      SUBJECTS.task,
      taskTokens.map((token, i) => task(i, { token })),
    );
    const stats = await waitCounted(aggregator.httpUrl, 5);
    expect(stats).toMatchObject({ activeNodes: 1, tokenBacked: true, tasks: { last7d: 5 } });

    await publishAll(nc, SUBJECTS.heartbeat, [heartbeat(1, { token: presence })]);
    await publishAll(nc, SUBJECTS.task, [
      ...taskTokens.map((token, i) => task(100 + i, { token })),
      task(200, { token: foreign }),
    ]);
    await nc.close();
    await poll(
      'the replays and the foreign token refused',
      async () => [
        await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="double_spend"}'),
        await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="wrong_challenge"}'),
      ],
      ([double, wrong]) => double === 6 && wrong === 1,
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`)).toMatchObject({
      activeNodes: 1,
      tasks: { last7d: 5 },
    });
  });
});
