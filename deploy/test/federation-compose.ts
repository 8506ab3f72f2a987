// deploy/docker-compose.federation.yml: nats-server with the production configuration and certificates, and
// the aggregator, brought up with the CI overrides; monitors publish over WSS, the aggregator counts, the
// public user receives its stats.
import { rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { wss } from '../../test/support/nats-wss.ts';
import { makeCertificate } from '../../test/support/test-certificate.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { freePort } from '../../test/support/free-port.ts';
import { expectCounted, tasks } from './aggregator-image.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { healthy, waitHttpOk } from './images.ts';
import { natsEnv, natsPorts } from './nats-compose.ts';

export function federationComposeTests(context: DeployContext): void {
  it(
    'runs nats-server and the aggregator: tasks over WSS are counted, stats reach the public',
    async () => {
      const certificate = makeCertificate();
      const ports = await natsPorts();
      const aggregatorPort = await freePort();
      const url = `http://127.0.0.1:${aggregatorPort}`;
      const wssUrl = `wss://localhost:${ports.CI_NATS_WS_PORT}`;
      const project = await composeProject(
        'truwatchfederation',
        ['deploy/docker-compose.federation.yml', 'deploy/ci/nats.ci.yml', 'deploy/ci/aggregator.ci.yml'],
        { ...natsEnv(certificate, ports), CI_AGGREGATOR_PORT: String(aggregatorPort) },
      );
      try {
        const started = Date.now();
        await project.run(['up', '-d', '--build']);
        await waitHttpOk(`${url}/healthz`);
        context.figures.federationComposeUpMs = Date.now() - started;
        context.checkFirewall();
        await healthy(context.engine, 'truwatchfederation_aggregator_1');

        const viewer = await wss(wssUrl, certificate.pem, 'public', 'public');
        const stats = viewer.subscribe(SUBJECTS.stats, { max: 1 });
        const monitor = await wss(wssUrl, certificate.pem, 'monitor', 'monitor');
        for (const message of tasks(30)) monitor.publish(SUBJECTS.task, message);
        await monitor.flush();
        await monitor.close();
        await expectCounted(url, 30);
        for await (const m of stats) expect(Object.keys(m.json<object>())).toContain('tasks');
        await viewer.close();
      } finally {
        await project.down();
        rmSync(certificate.dir, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
