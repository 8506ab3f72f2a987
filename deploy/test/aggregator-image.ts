// The aggregator image: its configuration (non-root, no package manager, healthcheck, port), then a container
// of it counting task messages that a monitor publishes to Debian's nats-server.
import { connect } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import { task } from '../../test/support/federation-traffic.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { freePort } from '../../test/support/free-port.ts';
import { DEV_USERS, startNatsServer } from '../../test/support/nats-server.ts';
import { IMAGES, STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { expectLeanImage, healthy, request, runService, waitFor, waitHttpOk } from './images.ts';

/** Waits until the aggregator at `url` has counted `count` task messages (its /metrics). */
export async function expectCounted(url: string, count: number): Promise<void> {
  const counted = await waitFor(`${count} tasks counted`, async () => {
    const metrics = (await request({ url: `${url}/metrics` })).body;
    const n = Number(/truwatch_accepted_total\{type="task"\} (\d+)/.exec(metrics)?.[1] ?? -1);
    return n >= count ? n : undefined;
  });
  expect(counted).toBe(count);
}

/** `count` distinct tasks and a few repeats of them (counted once). */
export function tasks(count: number): string[] {
  const distinct = Array.from({ length: count }, (_, i) => JSON.stringify(task(i)));
  return [...distinct, ...distinct.slice(0, 5)];
}

export function aggregatorImageTests(context: DeployContext): void {
  it(
    'is non-root, without a package manager, with a healthcheck on /healthz and port 8080',
    async () => {
      const { app } = await expectLeanImage(context.engine, IMAGES.aggregator, {
        port: 8080,
        healthPath: '/healthz',
      });
      expect(app).toEqual(['aggregator.mjs']);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'counts the task messages a monitor publishes to nats-server',
    async () => {
      const server = await startNatsServer();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      try {
        const started = Date.now();
        await runService(context.engine, 'deploy-aggregator', IMAGES.aggregator, {
          NATS_URL: server.url,
          NATS_PASSWORD: DEV_USERS.aggregator.pass,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(port),
        });
        await waitHttpOk(`${url}/healthz`);
        context.figures.aggregatorStartMs = Date.now() - started;
        context.checkFirewall();
        const monitor = await connect({ servers: server.url, ...DEV_USERS.monitor });
        for (const message of tasks(40)) monitor.publish(SUBJECTS.task, message);
        await monitor.flush();
        await monitor.close();
        await expectCounted(url, 40);
        await healthy(context.engine, 'deploy-aggregator');
      } finally {
        await context.engine.rm('deploy-aggregator').catch(() => undefined);
        await server.close();
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
