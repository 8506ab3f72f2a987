// nats/prod/nats.conf on Debian's nats-server: WebSocket with TLS, hashed passwords, connection types per
// user, the federation's permissions, and the same permissions as the development users file.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import {
  checkProdServer,
  permissionBlocks,
  PROD_CONF,
  TEST_AGGREGATOR,
} from '../../test/support/nats-prod-checks.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';

describe('the production nats-server configuration (nats/prod)', () => {
  let server: NatsServer;
  let certificate: TestCertificate;
  beforeAll(async () => {
    certificate = makeCertificate();
    server = await startNatsServer({
      config: PROD_CONF,
      env: {
        NATS_SERVER_NAME: 'truwatch-prod-test',
        NATS_HOST: '127.0.0.1',
        NATS_TLS_CERT: certificate.cert,
        NATS_TLS_KEY: certificate.key,
        NATS_AGGREGATOR_PASSWORD_HASH: TEST_AGGREGATOR.hash,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('serves browsers over WSS only, checks hashed passwords and enforces the permissions', async () => {
    await checkProdServer({
      url: server.url,
      wssUrl: server.wsUrl.replace('ws://127.0.0.1', 'wss://localhost'),
      ca: certificate.pem,
    });
  });

  it('gives each user the same permissions as the development users file', () => {
    const prod = permissionBlocks(new URL('./users.conf', import.meta.url).pathname);
    const dev = permissionBlocks(new URL('../users.conf', import.meta.url).pathname);
    for (const name of ['MONITOR', 'PUBLIC', 'AGGREGATOR']) expect(prod[name]).toMatch(/^\w+={.+}$/);
    expect(prod).toEqual(dev);
  });
});
