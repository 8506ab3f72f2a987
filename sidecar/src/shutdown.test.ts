// Stopping on SIGTERM / SIGINT (shutdown.ts), in child processes: exit 0 once closed; past the deadline the
// process ends even with a libuv worker thread stuck in a read that never returns (a FIFO's open(), which
// process.exit would wait for), as PID 1 too; a second signal ends it at once.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitReady } from '../../test/support/child-process.ts';
import { stopProcess } from '../../test/support/stop-process.ts';

const SHUTDOWN = new URL('./shutdown.ts', import.meta.url).pathname;

let dir: string;
const children: ReturnType<typeof spawn>[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-shutdown-'));
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => stopProcess(child, 'SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

/** A process that stops on signals with `close` (JavaScript text), and a FIFO open stuck when `stuck`. */
async function start(close: string, options: { deadlineMs: number; stuck?: boolean; pid1?: boolean }) {
  const fifo = join(dir, 'fifo');
  if (options.stuck) execFileSync('mkfifo', [fifo]);
  const code = `
    import { open } from 'node:fs/promises';
    import { stopOnSignals } from ${JSON.stringify(SHUTDOWN)};
    ${options.stuck ? `void open(${JSON.stringify(fifo)}, 'r');` : ''}
    stopOnSignals(${close}, { deadlineMs: ${options.deadlineMs} });
    setInterval(() => {}, 1000);
    console.log('ready as pid ' + process.pid);
  `;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
  // As a container's first process: in a new PID namespace, where it is PID 1.
  const [command, ...args] = options.pid1 ? ['unshare', '--pid', '--fork', '--kill-child', ...node] : node;
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const ready = await waitReady(child, /ready as pid (\d+)/, 'the child', 20_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Within 10 s: well past the deadlines below, and the test's verdict when the process does not end.
  const ended = () =>
    Promise.race([
      exit,
      new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000)),
    ]);
  return { child, ended, output: ready.log, pid: Number(ready.match[1]) };
}

describe('stopOnSignals', () => {
  it('exits 0 once closed', async () => {
    const p = await start('async () => {}', { deadlineMs: 60_000 });
    p.child.kill('SIGTERM');
    expect(await p.ended()).toEqual({ code: 0, signal: null });
  });

  it('ends the process past the deadline, even with a worker thread stuck in open() on a FIFO', async () => {
    const p = await start('() => new Promise(() => {})', { deadlineMs: 300, stuck: true });
    p.child.kill('SIGTERM');
    expect(await p.ended()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(p.output()).toContain('truwatch: still stopping 0.3 s after SIGTERM: ending without waiting');
  });

  // Our image runs the sidecar as PID 1, which gets no signal it has no handler for from inside its container.
  it.skipIf(!canUnsharePid())('ends the process past the deadline as PID 1 too', async () => {
    const p = await start('() => new Promise(() => {})', { deadlineMs: 300, stuck: true, pid1: true });
    expect(p.pid).toBe(1);
    // unshare does not pass signals on: to the process it started, by its PID out here.
    const inner = Number(readFileSync(`/proc/${p.child.pid}/task/${p.child.pid}/children`, 'utf8').trim());
    process.kill(inner, 'SIGTERM');
    const ended = await p.ended();
    expect(ended).not.toBe('still running after 10 s');
    expect(p.output()).toContain('truwatch: still stopping 0.3 s after SIGTERM: ending without waiting');
  });

  it('ends the process at once on a second signal', async () => {
    const p = await start('() => new Promise(() => {})', { deadlineMs: 60_000, stuck: true });
    p.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    p.child.kill('SIGINT');
    expect(await p.ended()).toEqual({ code: null, signal: 'SIGINT' });
  });
});

function canUnsharePid(): boolean {
  try {
    execFileSync('unshare', ['--pid', '--fork', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
