// deploy/docker-compose.remote.yml: the monitor on another machine, reading the runner's log directory from a
// read-only mount (here a directory of the host holding the sample log, as an NFS or SSHFS mount would).
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { healthy, request, ROOT, waitHttpOk } from './images.ts';
import { expectSampleRead } from './sidecar-image.ts';

const API_KEY = 'deploy-remote-api-key-0123456789';

export function remoteComposeTests(context: DeployContext): void {
  it(
    'reads a log directory mounted read-only, with no Docker access: RUNNER_LOGS_DIR=… docker-compose up -d',
    async () => {
      const logs = mkdtempSync(join(tmpdir(), 'truwatch-remote-logs-'));
      copyFileSync(join(ROOT, 'test/fixtures/runner-node-sample.log'), join(logs, 'runner.log'));
      chmodSync(logs, 0o755);
      chmodSync(join(logs, 'runner.log'), 0o644);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const project = await composeProject(
        'truwatchremote',
        ['deploy/docker-compose.remote.yml', 'deploy/ci/remote.ci.yml'],
        {
          RUNNER_LOGS_DIR: logs,
          API_KEY,
          CI_SIDECAR_PORT: String(port),
        },
      );
      try {
        expect(Object.keys(project.config.services)).toEqual(['truwatch']);
        await project.run(['up', '-d', '--build']);
        await waitHttpOk(`${url}/api/health`);
        context.checkFirewall();
        await healthy(context.engine, 'truebit-node-monitor');
        await expectSampleRead(url, API_KEY);
        const status = JSON.parse(
          (await request({ url: `${url}/api/status` }, { headers: { authorization: `Bearer ${API_KEY}` } }))
            .body,
        ) as { source: { kind: string; description: string } };
        expect(status.source.kind).toBe('file');
        // The mount is read-only inside the container: the sidecar cannot change the node's logs.
        const mounts = JSON.parse(await context.engine.podman(['inspect', 'truebit-node-monitor'])) as {
          Mounts: { Destination: string; RW: boolean }[];
        }[];
        expect(mounts[0]!.Mounts.find((m) => m.Destination === '/runner-logs')).toMatchObject({ RW: false });
      } finally {
        await project.down();
        rmSync(logs, { recursive: true, force: true });
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
