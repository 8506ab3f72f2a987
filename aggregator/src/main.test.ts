// The aggregator beside an existing NATS, run as `npm run aggregator` runs it against Debian's nats-server: a
// setting to fix ends it with one line, a server that is not up yet is waited for.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitReady } from '../../test/support/child-process.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import { stopProcess } from '../../test/support/stop-process.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

function startMain(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, HTTP_PORT: '0', NATS_USER: 'aggregator', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** What the aggregator printed before it exited, and its exit code. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = startMain(env);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

describe('the aggregator started beside an existing NATS', () => {
  let server: NatsServer;
  let noJetStream: NatsServer;
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-aggregator-start-'));

  beforeAll(async () => {
    server = await startNatsServer();
    // The seed's nats.conf: users, no JetStream.
    const conf = join(dir, 'nats.conf');
    writeFileSync(
      conf,
      'port: $NATS_PORT\nhttp_port: $NATS_HTTP_PORT\n' +
        `authorization { users = [ { user: aggregator, password: "${DEV_USERS.aggregator.pass}" } ] }\n`,
    );
    noJetStream = await startNatsServer({ config: conf });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), noJetStream?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says in one line that the server refused its password, and exits 1', async () => {
    const { code, output } = await runToExit({ NATS_URL: server.url, NATS_PASSWORD: 'wrong' });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^aggregator: NATS at \S+ refused the aggregator's credentials \(user "aggregator"/,
      ),
    ]);
  });

  it('names the jetstream {} block when the server has no JetStream, and exits 1', async () => {
    const { code, output } = await runToExit({
      NATS_URL: noJetStream.url,
      NATS_PASSWORD: DEV_USERS.aggregator.pass,
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(/^aggregator: NATS at \S+ has no JetStream .*`jetstream \{\}` block/),
    ]);
  });

  it('says in one line what is wrong with a setting', async () => {
    const { code, output } = await runToExit({
      NATS_URL: server.url,
      NATS_PASSWORD: 'x',
      BATCH_SIZE: 'lots',
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual(['aggregator: BATCH_SIZE must be a number ≥ 0, not "lots"']);
  });

  it('waits for a server that is not up yet, and starts when it is', async () => {
    const late = await startNatsServer();
    await late.stop();
    const child = startMain({ NATS_URL: late.url, NATS_PASSWORD: DEV_USERS.aggregator.pass });
    try {
      const waiting = await waitReady(
        child,
        /is not reachable \(.*\); trying again in 1 s/,
        'aggregator',
        30_000,
      );
      await late.restart();
      await waitReady(child, /HTTP on http:\/\/\S+/, 'aggregator', 60_000);
      expect(waiting.log()).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await stopProcess(child, 'SIGTERM');
      await late.close();
    }
  });
});
