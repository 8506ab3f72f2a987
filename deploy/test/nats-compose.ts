// nats/docker-compose.yml (NATS alone) with the production configuration, certificates mounted, brought up
// with the CI override (the local nats-server image, host networking, free ports) and checked as a browser
// and an aggregator would use it.
import { rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { checkProdServer, TEST_AGGREGATOR } from '../../test/support/nats-prod-checks.ts';
import { makeCertificate, type TestCertificate } from '../../test/support/test-certificate.ts';
import { freePort } from '../../test/support/free-port.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { healthy, waitHttpOk } from './images.ts';

export interface NatsPorts {
  CI_NATS_PORT: string;
  CI_NATS_HTTP_PORT: string;
  CI_NATS_WS_PORT: string;
}

export async function natsPorts(): Promise<NatsPorts> {
  return {
    CI_NATS_PORT: String(await freePort()),
    CI_NATS_HTTP_PORT: String(await freePort()),
    CI_NATS_WS_PORT: String(await freePort()),
  };
}

/** What the compose files need for nats: the certificates, the aggregator's password hash, the CI ports. */
export function natsEnv(certificate: TestCertificate, ports: NatsPorts): Record<string, string> {
  return {
    ...ports,
    NATS_CERTS_DIR: certificate.dir,
    NATS_AGGREGATOR_PASSWORD_HASH: TEST_AGGREGATOR.hash,
    NATS_AGGREGATOR_PASSWORD: TEST_AGGREGATOR.pass,
  };
}

export function natsComposeTests(context: DeployContext): void {
  it(
    'runs nats-server alone with TLS WebSocket, hashed passwords and the permissions',
    async () => {
      const certificate = makeCertificate();
      const ports = await natsPorts();
      const project = await composeProject(
        'truwatchnats',
        ['nats/docker-compose.yml', 'deploy/ci/nats.ci.yml'],
        natsEnv(certificate, ports),
      );
      try {
        expect(project.config.services.nats!.image).toBe('truwatch/nats-ci:local');
        const started = Date.now();
        await project.run(['up', '-d']);
        await waitHttpOk(`http://127.0.0.1:${ports.CI_NATS_HTTP_PORT}/healthz`);
        context.figures.natsComposeUpMs = Date.now() - started;
        context.checkFirewall();
        await healthy(context.engine, 'truwatchnats_nats_1');
        await checkProdServer({
          url: `nats://127.0.0.1:${ports.CI_NATS_PORT}`,
          wssUrl: `wss://localhost:${ports.CI_NATS_WS_PORT}`,
          ca: certificate.pem,
        });
      } finally {
        await project.down();
        rmSync(certificate.dir, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
