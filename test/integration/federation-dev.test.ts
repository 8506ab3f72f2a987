// `npm run federation:dev` (nats-server, the token issuer and the aggregator for development): the aggregator
// requires the dev issuer's tokens, so a message without one counts for nothing and one with a token fetched from
// the issuer counts; the ready message says what a sidecar needs. On ports in use it says which, and starts
// nothing — no second nats-server left running, the first federation:dev unharmed.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { spawnServer, waitReady } from '../support/child-process.ts';
import {
  SUBJECTS,
  getJson,
  heartbeat,
  metricValue,
  monitorConnection,
  publishAll,
  task,
  waitCounted,
} from '../support/federation-traffic.ts';
import { fetchToken } from '../support/issuer.ts';
import { poll } from '../support/poll.ts';
import { freePort } from '../support/free-port.ts';
import { stopProcess } from '../support/stop-process.ts';

const SCRIPT = new URL('../../scripts/federation-dev.ts', import.meta.url).pathname;

let dir: string;
let env: Record<string, string>;
let first: ChildProcess;
/** What the first federation:dev printed up to its ready message. */
let ready: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-fed-dev-'));
  env = {
    NATS_PORT: String(await freePort()),
    NATS_HTTP_PORT: String(await freePort()),
    NATS_WS_PORT: String(await freePort()),
    HTTP_PORT: String(await freePort()),
    ISSUER_HTTP_PORT: String(await freePort()),
    NATS_STORE_DIR: join(dir, 'store'),
    ISSUER_DATA_DIR: join(dir, 'issuer'),
    // Stats every half second instead of every 10 s: the test reads what was counted.
    STATS_INTERVAL_MS: '500',
  };
  first = spawnServer(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ready = (await waitReady(first, /federation:dev ready[\s\S]*npm run demo/, 'federation:dev', 60_000))
    .match[0];
}, 90_000);
afterAll(async () => {
  if (first) await stopProcess(first, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs federation:dev to its end with `more` settings: exit code and error output. */
function runToEnd(more: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT],
      { env: { ...process.env, ...env, ...more }, timeout: 60_000 },
      (error, _stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

/** nats-server processes on this machine whose environment names `port` as their NATS_PORT. */
async function natsServersOn(port: string): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises');
  let n = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.startsWith('nats-server')) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`NATS_PORT=${port}`)) n++;
  }
  return n;
}

describe('npm run federation:dev on ports in use', () => {
  it('says which port is in use and starts no second nats-server', async () => {
    expect(await natsServersOn(env.NATS_PORT!)).toBe(1);
    const second = await runToEnd({});
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`port ${env.NATS_PORT} (NATS_PORT)`);
    expect(second.stderr).toMatch(/is in use: is federation:dev or a nats-server already running\?/);
    expect(await natsServersOn(env.NATS_PORT!)).toBe(1);
    expect((await fetch(`http://127.0.0.1:${env.HTTP_PORT}/healthz`)).status).toBe(200);
  });

  it('says so when only the aggregator’s HTTP port is taken, and leaves no nats-server running', async () => {
    const taken: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const free = {
        NATS_PORT: String(await freePort()),
        NATS_HTTP_PORT: String(await freePort()),
        NATS_WS_PORT: String(await freePort()),
        HTTP_PORT: String(port),
        NATS_STORE_DIR: join(dir, 'store-2'),
      };
      const run = await runToEnd(free);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} (HTTP_PORT (the aggregator))`);
      expect(await natsServersOn(free.NATS_PORT)).toBe(0);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('npm run federation:dev', () => {
  it('runs the token issuer with its dev policy, and writes the keys file an aggregator can require', async () => {
    const directory = (await (
      await fetch(`http://127.0.0.1:${env.ISSUER_HTTP_PORT}/.well-known/private-token-issuer-directory`)
    ).json()) as { 'token-keys': { 'truwatch-kind': string }[] };
    // This week's and the next two weeks' keys, of each kind.
    expect(directory['token-keys'].map((k) => k['truwatch-kind']).sort()).toEqual([
      'presence',
      'presence',
      'presence',
      'task',
      'task',
      'task',
    ]);
    const keysFile = JSON.parse(readFileSync(join(env.ISSUER_DATA_DIR!, 'token-keys.json'), 'utf8')) as {
      'token-keys': unknown[];
    };
    expect(keysFile['token-keys']).toHaveLength(6);
  });
});

describe('npm run federation:dev requires tokens', () => {
  const aggregator = () => `http://127.0.0.1:${env.HTTP_PORT}`;
  const issuer = () => `http://localhost:${env.ISSUER_HTTP_PORT}`;
  const missing = () => metricValue(aggregator(), 'truwatch_rejected_total{reason="missing"}');

  it('says what a sidecar needs: the WebSocket URL and the issuer by the name `localhost`', () => {
    expect(ready).toContain(
      `a sidecar needs   FEDERATION_NATS_URL=ws://127.0.0.1:${env.NATS_WS_PORT} FEDERATION_ISSUER_URL=${issuer()}\n`,
    );
    expect(ready).toContain('dev policy, named localhost');
  });

  it('refuses a message without a token (missing) and counts one with a token from the dev issuer', async () => {
    const before = await missing();
    const monitor = await monitorConnection(`nats://127.0.0.1:${env.NATS_PORT}`);
    try {
      // Without a token: a heartbeat and a task, with the public monitor credentials.
      await publishAll(monitor, SUBJECTS.heartbeat, [heartbeat(1)]);
      await publishAll(monitor, SUBJECTS.task, [task(1)]);
      await poll('both refused as missing', missing, (n) => n === before + 2, 30_000);
      // With tokens the dev issuer gave anyone who asked, fetched by the real client library as the app does.
      const token = (kind: 'presence' | 'task') =>
        fetchToken(issuer(), 'localhost', kind).then((t) => Buffer.from(t).toString('base64url'));
      await publishAll(monitor, SUBJECTS.heartbeat, [heartbeat(2, { token: await token('presence') })]);
      await publishAll(monitor, SUBJECTS.task, [task(2, { token: await token('task') })]);
    } finally {
      await monitor.close();
    }
    const stats = await waitCounted(aggregator(), 1, 60_000);
    expect(stats).toMatchObject({ tokenBacked: true, activeNodes: 1, tasks: { last7d: 1 } });
    expect(await missing()).toBe(before + 2);
    expect((await getJson<StatsMessage>(`${aggregator()}/api/stats`)).nodesToday).toBe(1);
  }, 90_000);
});
