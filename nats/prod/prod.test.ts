// nats/prod/nats.conf on Debian's nats-server: WebSocket with TLS, hashed passwords, connection types per
// user, the federation's permissions and accounts (no reply subject a browser names reaches the aggregator's
// JetStream), and the same permissions, exports and imports as the development users file.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import {
  accountWiring,
  checkProdServer,
  permissionBlocks,
  PROD_CONF,
  TEST_AGGREGATOR,
} from '../../test/support/nats-prod-checks.ts';
import { testConfig } from '../../test/support/federation-traffic.ts';
import { wss } from '../../test/support/nats-wss.ts';
import { checkReplyInjection } from '../../test/support/reply-injection.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';

const prodServer = (certificate: TestCertificate) =>
  startNatsServer({
    config: PROD_CONF,
    env: {
      NATS_SERVER_NAME: 'truwatch-prod-test',
      NATS_HOST: '127.0.0.1',
      NATS_TLS_CERT: certificate.cert,
      NATS_TLS_KEY: certificate.key,
      NATS_AGGREGATOR_PASSWORD_HASH: TEST_AGGREGATOR.hash,
    },
  });
const wssUrl = (server: NatsServer) => server.wsUrl.replace('ws://127.0.0.1', 'wss://localhost');

describe('the production nats-server configuration (nats/prod)', () => {
  let server: NatsServer;
  let certificate: TestCertificate;
  beforeAll(async () => {
    certificate = makeCertificate();
    server = await prodServer(certificate);
  });
  afterAll(async () => {
    await server?.close();
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('serves browsers over WSS only, checks hashed passwords and enforces the permissions', async () => {
    await checkProdServer({
      url: server.url,
      wssUrl: wssUrl(server),
      ca: certificate.pem,
    });
  });

  it('gives each user the same permissions as the development users file', () => {
    const prod = permissionBlocks(new URL('./users.conf', import.meta.url).pathname);
    const dev = permissionBlocks(new URL('../users.conf', import.meta.url).pathname);
    for (const name of ['MONITOR', 'PUBLIC', 'AGGREGATOR']) expect(prod[name]).toMatch(/^\w+={.+}$/);
    expect(prod).toEqual(dev);
    const wiring = accountWiring(new URL('./users.conf', import.meta.url).pathname);
    for (const account of Object.values(wiring)) expect(account.imports).toMatch(/^\[.+\]$/);
    expect(wiring.AGGREGATOR!.exports).toMatch(/^\[.+\]$/);
    expect(wiring).toEqual(accountWiring(new URL('../users.conf', import.meta.url).pathname));
  });

  it.each(['monitor', 'public'] as const)(
    'keeps every stream, the consumer and every bucket intact when %s (over WSS) names JetStream as the reply',
    async (attacker) => {
      // A server of its own: the injection needs a JetStream store no other test has written to.
      const own = await prodServer(certificate);
      try {
        await checkReplyInjection(
          {
            config: testConfig(own, { natsPassword: TEST_AGGREGATOR.pass }),
            monitor: () => wss(wssUrl(own), certificate.pem, 'monitor', 'monitor'),
            viewer: () => wss(wssUrl(own), certificate.pem, 'public', 'public', '_INBOX_public'),
          },
          attacker,
        );
      } finally {
        await own.close();
      }
    },
    120_000,
  );
});
