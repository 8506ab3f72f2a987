// deploy/docker-compose.monitor.yml brought up beside a runner container, with federation enabled as the
// README's one-liner does it: the sidecar follows the runner through the read-only proxy, which refuses
// everything but the four GET calls.
import { expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { healthy, IMAGES_DIR, request, waitHttpOk } from './images.ts';
import { expectSampleRead, startRunner } from './sidecar-image.ts';

const API_KEY = 'deploy-compose-api-key-0123456789';

export function monitorComposeTests(context: DeployContext): void {
  it(
    'runs beside a runner: ENABLE_FEDERATION=true docker-compose up -d',
    async () => {
      await startRunner(context, 'compose-runner');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const project = await composeProject(
        'truwatchmonitor',
        ['deploy/docker-compose.monitor.yml', 'deploy/ci/monitor.ci.yml'],
        {
          ENABLE_FEDERATION: 'true',
          CONTAINER_NAME: 'compose-runner',
          API_KEY,
          DOCKER_SOCKET: `${IMAGES_DIR}/podman.sock`,
          CI_SIDECAR_PORT: String(port),
        },
      );
      try {
        const started = Date.now();
        await project.run(['up', '-d', '--build']);
        await waitHttpOk(`${url}/api/health`);
        context.figures.monitorComposeUpMs = Date.now() - started;
        context.checkFirewall();
        await expectSampleRead(url, API_KEY);
        expect((await request({ url: `${url}/` })).body).toContain('<!doctype html>');
        // ENABLE_FEDERATION=true reached the web app as the deployment's consent, with the compose defaults.
        expect(JSON.parse((await request({ url: `${url}/config.json` })).body)).toMatchObject({
          federation: { enabled: true, user: 'monitor', broadcastTasks: true, taskRetentionDays: 7 },
          network: { user: 'public' },
        });
        // The container's name as the TrueBit Node Monitor's docs give it: `docker logs truebit-node-monitor`
        // (here podman's, on the same engine) shows what the sidecar printed at start (the task-data password
        // among it), as `docker-compose logs truwatch` does.
        await healthy(context.engine, 'truebit-node-monitor');
        const logs = await context.engine.podman(['logs', 'truebit-node-monitor']);
        expect(logs).toContain(`truwatch: listening on ${url}`);
        expect(logs).toMatch(/the task-data password.*:\n {2}[\w-]{20,}\n/);
        expect(await project.run(['logs', '--no-color', 'truwatch'])).toContain(`listening on ${url}`);

        // The proxy, seen from the host through its socket in the shared volume.
        const volume = JSON.parse(
          await context.engine.podman(['volume', 'inspect', 'truwatchmonitor_docker-proxy']),
        ) as { Mountpoint: string }[];
        const socketPath = `${volume[0]!.Mountpoint}/docker.sock`;
        const ask = async (path: string, method = 'GET') =>
          (await request({ socketPath, path }, { method })).status;
        expect(await ask('/containers/json?all=true')).toBe(200);
        expect(await ask('/v1.41/containers/compose-runner/json')).toBe(200);
        expect(await ask('/containers/compose-runner/logs?stdout=true')).toBe(200);
        expect(await ask('/_ping')).toBe(200);
        for (const [path, method] of [
          ['/containers/compose-runner/stop', 'POST'],
          ['/containers/compose-runner', 'DELETE'],
          ['/containers/create', 'POST'],
          ['/containers/compose-runner/exec', 'POST'],
          ['/containers/compose-runner/top', 'GET'],
          ['/containers/compose-runner/archive?path=/', 'GET'],
          ['/images/json', 'GET'],
          ['/volumes', 'GET'],
          ['/containers/compose-runner/logs/../../../images/json', 'GET'],
        ] as const)
          expect(await ask(path, method), `${method} ${path}`).toBe(403);
      } finally {
        await project.down();
        await context.engine.rm('compose-runner');
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
