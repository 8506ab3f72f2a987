// The real sidecar process on a log directory that someone who can write to it turned against it: symbolic
// links out of the directory (to a file holding a secret, to the sidecar's own /proc/self/environ, as a
// .log.gz), and a FIFO in place of the current log. Nothing outside the directory is streamed, the status says
// what is wrong, the source never hangs (a regular file put back is read), and SIGTERM stops the process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Status } from '../../../../protocol/node-events.ts';
import { poll } from '../../../../test/support/poll.ts';
import { startSidecarProcess, type SidecarProcess } from '../../../../test/support/sidecar-process.ts';
import { openEvents } from '../../../../test/support/sse-client.ts';

const H = '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0';
const SECRET = 'outside-secret-7f3a9c2e';
const PASSWORD = 'task-data-password-5b8e1d47';

let root: string;
let logs: string;
let sidecar: SidecarProcess | undefined;
let stream: AbortController | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'truwatch-hostile-'));
  logs = join(root, 'logs');
  mkdirSync(logs);
});
afterEach(async () => {
  stream?.abort();
  await sidecar?.stop('SIGKILL');
  sidecar = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function start(): Promise<SidecarProcess> {
  sidecar = await startSidecarProcess({
    SOURCE: `file:${logs}`,
    DATA_DIR: join(root, 'data'),
    CONTAINER_NAME: 'unused',
    TASK_DATA_PASSWORD: PASSWORD,
  });
  return sidecar;
}

/** Everything a client of /api/events receives, as text, and the statuses among it. */
async function readEvents(s: SidecarProcess) {
  stream = new AbortController();
  const events = await openEvents(s.url, s.apiKey, { signal: stream.signal });
  const seen = { text: '', statuses: [] as Status[] };
  void (async () => {
    try {
      for await (const event of events) {
        seen.text += `${event.event} ${event.data}\n`;
        if (event.event === 'status') seen.statuses.push(JSON.parse(event.data) as Status);
      }
    } catch {
      // the test aborted the stream
    }
  })();
  return seen;
}

async function sourceStatus(s: SidecarProcess): Promise<{ state: string; detail?: string }> {
  const response = await fetch(`${s.url}/api/status`, { headers: { authorization: `Bearer ${s.apiKey}` } });
  return ((await response.json()) as { source: { state: string; detail?: string } }).source;
}

describe('the file source in a hostile log directory (real sidecar process)', () => {
  it('does not follow a symbolic link to a file outside the directory', async () => {
    const outside = join(root, 'secret.txt');
    writeFileSync(outside, `${H} ${SECRET}\n`);
    symlinkSync(outside, join(logs, '2025-11-24.log'));
    const s = await start();
    const seen = await readEvents(s);
    const refused = (text: string) => /2025-11-24\.log: it is a symbolic link/.test(text);
    await poll(
      'the refusal (or the secret) in the stream',
      async () => seen.text,
      (text) => refused(text) || text.includes(SECRET),
      15_000,
    );
    expect(seen.text).not.toContain(SECRET);
    const status = await poll(
      'the status',
      () => sourceStatus(s),
      (st) => refused(st.detail ?? ''),
      15_000,
    );
    expect(status.state).toBe('error');
  });

  it("does not stream the sidecar's own environment through a link to /proc/self/environ", async () => {
    symlinkSync('/proc/self/environ', join(logs, 'runner.log'));
    const s = await start();
    const seen = await readEvents(s);
    const secrets = [s.apiKey, PASSWORD];
    await poll(
      'the refusal (or a secret) in the stream',
      async () => seen.text,
      (text) => /runner\.log: it is a symbolic link/.test(text) || secrets.some((x) => text.includes(x)),
      15_000,
    );
    // Not toContain: its failure message would print the whole environment.
    for (const secret of secrets) expect(seen.text.includes(secret), 'a secret in the stream').toBe(false);
    expect((await sourceStatus(s)).state).toBe('error');
  });

  it('does not follow a .log.gz symbolic link, and reads the regular files beside it', async () => {
    const outside = join(root, 'secret.log.gz');
    writeFileSync(outside, gzipSync(`${H} ${SECRET}\n`));
    symlinkSync(outside, join(logs, '2025-11-23.log.gz'));
    writeFileSync(join(logs, '2025-11-24.log'), `${H} regular line\n`);
    const s = await start();
    const seen = await readEvents(s);
    await poll(
      'the regular line',
      async () => seen.text,
      (text) => text.includes('regular line'),
      15_000,
    );
    expect(seen.text).not.toContain(SECRET);
    expect(seen.statuses.map((st) => st.detail)).toContain(
      'Cannot read 2025-11-23.log.gz: it is a symbolic link, not a regular file; skipped it',
    );
  });

  it('does not hang on a FIFO in place of the current log, says so, and reads a regular file put back', async () => {
    const log = join(logs, '2025-11-24.log');
    writeFileSync(log, `${H} before the FIFO\n`);
    const s = await start();
    const seen = await readEvents(s);
    await poll(
      'the first line',
      async () => seen.text,
      (text) => text.includes('before the FIFO'),
      15_000,
    );

    unlinkSync(log);
    execFileSync('mkfifo', [log]);
    const onFifo = await poll(
      'a status about the FIFO',
      () => sourceStatus(s),
      (st) => /FIFO/.test(st.detail ?? ''),
      15_000,
    );
    expect(onFifo).toMatchObject({
      state: 'error',
      detail: 'Cannot read 2025-11-24.log: it is a FIFO, not a regular file; trying again',
    });

    unlinkSync(log);
    writeFileSync(log, `${H} after the FIFO\n`);
    await poll(
      'the line of the file put back',
      async () => seen.text,
      (text) => text.includes('after the FIFO'),
      15_000,
    );
    await poll(
      'live again',
      () => sourceStatus(s),
      (st) => st.state === 'live',
      15_000,
    );
  });

  it('stops on SIGTERM within seconds while a FIFO is the current log', async () => {
    const log = join(logs, '2025-11-24.log');
    writeFileSync(log, `${H} before the FIFO\n`);
    const s = await start();
    await poll(
      'live',
      () => sourceStatus(s),
      (st) => st.state === 'live',
      15_000,
    );
    unlinkSync(log);
    execFileSync('mkfifo', [log]);
    await poll(
      'a status about the FIFO',
      () => sourceStatus(s),
      (st) => /FIFO/.test(st.detail ?? ''),
      15_000,
    );
    const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
    s.child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running after 10 s')]);
    expect(code).toBe(0);
  });
});
