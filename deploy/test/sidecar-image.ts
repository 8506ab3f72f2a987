// The sidecar image run by itself: its configuration (non-root, no package manager, healthcheck, port,
// volume, heap flags), then a container of it following a runner container through the mounted API socket,
// serving /api/health, /api/status and the web app, and passing `podman healthcheck run`.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { SIDECAR_NODE_FLAGS } from '../../scripts/build-sidecar.ts';
import { freePort } from '../../test/support/free-port.ts';
import { parseText } from '../../test/support/parse-text.ts';
import { IMAGES, SOCKET_GID, STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { expectLeanImage, healthy, request, ROOT, runService, waitFor, waitHttpOk } from './images.ts';

const SAMPLE_DIR = `${ROOT}test/fixtures`;
const SAMPLE_ENTRIES = parseText(readFileSync(`${SAMPLE_DIR}/runner-node-sample.log`, 'utf8')).length;
const API_KEY = 'deploy-test-api-key-0123456789';
export const RUNNER_SCRIPT = 'cat /fixture/runner-node-sample.log; while true; do sleep 1 & wait $!; done';

/** A runner-node stand-in printing the sample log, in the engine's busybox image. */
export function startRunner(context: DeployContext, name: string): Promise<string> {
  return context.engine.run(name, RUNNER_SCRIPT, { args: ['-v', `${SAMPLE_DIR}:/fixture:ro`] });
}

/** The sidecar has read the whole sample log from the runner container. */
export async function expectSampleRead(url: string, apiKey: string): Promise<void> {
  const status = await waitFor(
    'the sample log read',
    async () => {
      const answer = await request(
        { url: `${url}/api/status` },
        { headers: { authorization: `Bearer ${apiKey}` } },
      );
      const body = JSON.parse(answer.body) as { counts: { entries: number; tasks: { completed: number } } };
      return body.counts.entries >= SAMPLE_ENTRIES ? body : undefined;
    },
    STEP_TIMEOUT_MS,
  );
  expect(status.counts.entries).toBe(SAMPLE_ENTRIES);
  expect(status.counts.tasks.completed).toBeGreaterThan(0);
}

export function sidecarImageTests(context: DeployContext): void {
  it(
    'is non-root, without a package manager, with a healthcheck, port 8090 and a data volume',
    async () => {
      const { config, app } = await expectLeanImage(context.engine, IMAGES.sidecar, {
        port: 8090,
        healthPath: '/api/health',
      });
      expect(app).toEqual(['build', 'sidecar.mjs']);
      expect(Object.keys(config.Volumes as object)).toEqual(['/data']);
      expect(config.Cmd).toEqual(['node', ...SIDECAR_NODE_FLAGS, 'sidecar.mjs']);

      // With the image's defaults (every address, port 8090, secrets in /data), the demo source and no network:
      // the pairing link names the loopback address a browser on the host opens.
      await context.engine.podman([
        'run',
        '-d',
        '--pull=never',
        '--name',
        'deploy-defaults',
        '--network',
        'none',
        '-e',
        'SOURCE=replay',
        IMAGES.sidecar,
      ]);
      try {
        const logs = await waitFor('the pairing link', async () => {
          const out = await context.engine.podman(['logs', 'deploy-defaults']);
          return out.includes('#token=') ? out : undefined;
        });
        expect(logs).toContain('listening on http://0.0.0.0:8090');
        expect(logs).toMatch(/^ {2}http:\/\/127\.0\.0\.1:8090\/#token=[\w-]{20,}$/m);
        expect(await context.engine.podman(['exec', 'deploy-defaults', 'ls', '/data'])).toBe(
          'api-key\nfederation-secret\ntask-data-password\n',
        );
      } finally {
        await context.engine.rm('deploy-defaults');
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'follows a runner container through the mounted API socket and serves the web app',
    async () => {
      await startRunner(context, 'deploy-runner');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const started = Date.now();
      await runService(
        context.engine,
        'deploy-sidecar',
        IMAGES.sidecar,
        { HOST: '127.0.0.1', PORT: String(port), CONTAINER_NAME: 'deploy-runner', API_KEY },
        ['--group-add', String(SOCKET_GID), '-v', `${context.engine.socketPath}:/var/run/docker.sock`],
      );
      await waitHttpOk(`${url}/api/health`);
      context.figures.sidecarStartMs = Date.now() - started;
      context.checkFirewall();

      const health = JSON.parse((await request({ url: `${url}/api/health` })).body) as unknown;
      expect(health).toEqual({ status: 'ok' });
      const status = JSON.parse(
        (await request({ url: `${url}/api/status` }, { headers: { authorization: `Bearer ${API_KEY}` } }))
          .body,
      ) as unknown;
      expect(status).toMatchObject({ source: { kind: 'docker' } });
      await expectSampleRead(url, API_KEY);
      expect((await request({ url: `${url}/api/status` })).status).toBe(401);

      const page = await request({ url: `${url}/tasks` });
      expect(page.status).toBe(200);
      expect(page.body).toContain('<!doctype html>');
      const script = /href="(\/_app\/immutable\/entry\/start\.[^"]+\.js)"/.exec(page.body)?.[1];
      expect((await request({ url: `${url}${script}` })).status).toBe(200);
      expect((await request({ url: `${url}/sw.js` })).status).toBe(200);

      await healthy(context.engine, 'deploy-sidecar');
      const logs = await context.engine.podman(['logs', 'deploy-sidecar']);
      expect(logs).toContain('following container "deploy-runner" through /var/run/docker.sock');
      await context.engine.rm('deploy-sidecar');
      await context.engine.rm('deploy-runner');
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
