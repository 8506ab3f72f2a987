// `npm run federation:dev` (nats-server and the aggregator for development) on ports in use: it says which, and
// starts nothing — no second nats-server left running, the first federation:dev unharmed.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, waitReady } from '../support/child-process.ts';
import { freePort } from '../support/free-port.ts';
import { stopProcess } from '../support/stop-process.ts';

const SCRIPT = new URL('../../scripts/federation-dev.ts', import.meta.url).pathname;

let dir: string;
let env: Record<string, string>;
let first: ChildProcess;
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
  };
  first = spawnServer(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitReady(first, /federation:dev ready/, 'federation:dev', 60_000);
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
