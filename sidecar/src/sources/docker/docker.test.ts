// The Docker source against a real Docker Engine API (podman), through a proxy that records every request.
// Ground truth is what the container wrote, as the podman CLI reads it from the log file (not through the API).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEngine,
  startRecordingProxy,
  type Engine,
  type RecordingProxy,
} from '../../../../test/support/podman-engine.ts';
import {
  Collector,
  expectExactly,
  expectIncreasingCursors,
  expectPrefix,
} from '../../../../test/support/source-collector.ts';
import { DockerSource } from './docker.ts';
import type { SourceLine } from '../source.ts';

let engine: Engine;
let proxy: RecordingProxy;
const RETRY = { initialMs: 50, maxMs: 400 };

beforeAll(async () => {
  engine = await startEngine();
  proxy = await startRecordingProxy(engine.socketPath);
});

afterAll(async () => {
  await proxy?.close();
  await engine?.stop();
});

const source = (containerName: string, socketPath = proxy.socketPath) =>
  new DockerSource({ containerName, socketPath, retry: RETRY, idleMs: 150 });

/**
 * Numbered lines on both streams, a counter kept in the container across restarts, a burst at every start
 * (history to backfill) with lines longer than podman's 8 KiB and Docker's 16 KiB pieces, then a line a tick.
 */
const NUMBERED = `n=$(cat /n 2>/dev/null || echo 0); echo "run start after $n"
i=0; while [ $i -lt 200 ]; do n=$((n+1)); echo "out $n"; [ $((n % 4)) -eq 0 ] && echo "err $n" >&2; i=$((i+1)); done
echo "long $n $(head -c 20000 /dev/zero | tr '\\0' L)"; echo "long $n $(head -c 40000 /dev/zero | tr '\\0' M)" >&2
echo $n > /n
while true; do n=$((n+1)); echo "out $n"; echo "err $n" >&2
  [ $((n % 10)) -eq 0 ] && echo "big $n $(head -c 17000 /dev/zero | tr '\\0' B)"; echo $n > /n; sleep 0.05 & wait $!; done`;

const runs = (c: Collector) => c.texts('stdout').filter((t) => t.startsWith('run start')).length;

/**
 * Polls `read` until `done` holds of its value. A read that fails counts as "not yet": podman's own log reader
 * fails on a line the container is still writing ("… is not a valid container log line").
 */
async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last: ${String(last).slice(0, 200)}${failure ? `; last error: ${String(failure)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('DockerSource against podman', () => {
  const name = 'runner-node';
  let c: Collector;
  let id = '';

  it('backfills the whole log, then follows it live', async () => {
    id = await engine.run(name, NUMBERED);
    // The burst of the start is history by the time the source starts: its last line is in the log.
    await until(
      'the burst in the log',
      () => engine.logs(name),
      (logs) => logs.stderr.some((l) => l.startsWith('long')),
    );
    c = new Collector(source(name));
    await c.until('the status live', () => c.statuses.some((s) => s.state === 'live'));
    const atLive = c.lines.length;
    await c.until('live lines', () => c.lines.length > atLive + 10);
    expect(c.statuses.slice(0, 3).map((s) => s.state)).toEqual(['connecting', 'backfill', 'live']);
    expect(c.statuses[1]!.container).toMatchObject({ name, id, state: 'running' });
    // Backfill first (batches of history), then the live status, then live lines.
    const live = c.timeline.indexOf('status:live');
    expect(
      c.timeline
        .slice(0, live)
        .filter((t) => t.startsWith('lines'))
        .every((t) => t === 'lines:false'),
    ).toBe(true);
    expect(
      c.timeline.slice(live + 1).every((t) => t === 'lines:true'),
      c.timeline.join(' '),
    ).toBe(true);
    expect(c.batches[0]).toMatchObject({ live: false });
    expect(c.texts('stdout')[0]).toBe('run start after 0');
    expect(c.texts('stdout').find((t) => t.startsWith('long'))).toHaveLength(`long 200 `.length + 20_000);
    expect(c.texts('stderr').find((t) => t.startsWith('long'))).toHaveLength(`long 200 `.length + 40_000);
    const first = c.lines[0]!;
    expect(first.cursor.endsWith(`.${id.slice(0, 12)}`)).toBe(true);
    expect(first.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/); // podman: whole seconds
    await expectPrefix(engine, c, name, id);
  });

  it('follows the container across a restart', async () => {
    await engine.restart(name);
    await c.until('the second run', () => runs(c) === 2);
    const at = c.lines.length;
    await c.until('lines of the second run', () => c.lines.length > at + 10);
    await expectPrefix(engine, c, name, id);
  });

  it('follows it across stop and start, and kill and start', async () => {
    await engine.stop(name);
    await expectExactly(engine, c, name, id);
    await c.until('the waiting status', () => c.statuses.at(-1)?.state === 'waiting');
    expect(c.statuses.at(-1)!.container).toMatchObject({ state: 'exited' });
    await engine.start(name);
    await c.until('the third run', () => runs(c) === 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await engine.kill(name);
    await expectExactly(engine, c, name, id);
    await engine.start(name);
    await c.until('the fourth run', () => runs(c) === 4);
    await expectPrefix(engine, c, name, id);
  });

  it('waits with backoff while the API is down, then resumes without loss or duplicates', async () => {
    const before = c.statuses.length;
    await engine.killService();
    // Three attempts at least (50, 100, 200 ms apart, then longer): the container goes on writing meanwhile.
    const waitingSince = () => c.statuses.slice(before).filter((s) => s.state === 'waiting');
    await c.until('three waiting statuses', () => waitingSince().length >= 3);
    const waiting = waitingSince();
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    expect(waiting.every((s) => s.retryInMs !== undefined && s.retryInMs <= RETRY.maxMs)).toBe(true);
    expect(Math.max(...waiting.map((s) => s.retryInMs!))).toBeGreaterThan(waiting[0]!.retryInMs!);
    expect(waiting[0]!.detail).toContain(proxy.socketPath);
    const linesBefore = c.lines.length;
    await engine.startService();
    await c.until('lines after the outage', () => c.lines.length > linesBefore + 30);
    expect(c.statuses.at(-1)!.state).not.toBe('waiting');
    await engine.stop(name);
    await expectExactly(engine, c, name, id);
  });

  it('reads the whole log of a container re-created under the same name', async () => {
    const old = await engine.logs(name);
    await engine.rm(name);
    await c.until('the missing status', () => c.statuses.at(-1)?.container?.state === 'missing');
    expect(c.statuses.at(-1)).toMatchObject({ state: 'waiting', retryInMs: expect.any(Number) });
    const newId = await engine.run(name, NUMBERED);
    expect(newId).not.toBe(id);
    await c.until('the new container', () => c.texts('stdout', newId).length > 220);
    await engine.stop(name);
    await expectExactly(engine, c, name, newId);
    expect(c.texts('stdout', newId)[0]).toBe('run start after 0');
    expect(c.texts('stdout', id)).toEqual(old.stdout);
    expect(c.texts('stderr', id)).toEqual(old.stderr);
    expectIncreasingCursors(c.lines, id);
    expectIncreasingCursors(c.lines, newId);
    const stamps = c.lines.map((l) => l.cursor.slice(0, 21));
    expect(stamps.every((t, i) => i === 0 || stamps[i - 1]! <= t)).toBe(true);
    await c.stop();
  });

  it('sent GET requests only', () => {
    expect(proxy.methods.length).toBeGreaterThan(10);
    expect(proxy.methods.filter((m) => !m.startsWith('GET '))).toEqual([]);
    const paths = proxy.methods.join('\n');
    for (const call of [
      '/containers/json?all=true&filters=',
      '/json\n',
      '/logs?follow=true',
      '/events?filters=',
    ]) {
      expect(paths).toContain(call);
    }
  });
});

describe('DockerSource: resuming, choosing, raw streams, backpressure, no API', () => {
  /** Reads a stopped container's log through a new source until the source waits for it to start again. */
  async function readAll(name: string, after?: string): Promise<Collector> {
    const c = new Collector(source(name), after);
    await c.until('the end of the log', () => {
      const last = c.statuses.at(-1);
      return last?.state === 'waiting' && last.container?.state === 'exited';
    });
    await c.stop();
    return c;
  }

  it('resumes after a cursor: the lines after it exactly, the ones before it unchanged', async () => {
    const name = 'rn-resume';
    const id = await engine.run(
      name,
      `i=0; while [ $i -lt 1500 ]; do i=$((i+1)); echo "line $i"; [ $((i % 7)) -eq 0 ] && echo "err $i" >&2; done
       echo "long $(head -c 30000 /dev/zero | tr '\\0' R)"; printf "the last line, without a newline"`,
    );
    await engine.podman(['wait', name]);
    const first = await readAll(name);
    // A last line without "\n" comes through the API; podman's CLI (the ground truth) sometimes drops it.
    const truth = await engine.logs(name);
    const last = 'the last line, without a newline';
    expect(first.texts('stdout', id)).toEqual(
      truth.stdout.at(-1) === last ? truth.stdout : [...truth.stdout, last],
    );
    expect(first.texts('stderr', id)).toEqual(truth.stderr);
    expectIncreasingCursors(first.lines, id);
    const after = first.lines[700]!.cursor;
    const second = await readAll(name, after);
    expect(second.lines.filter((l) => l.cursor > after)).toEqual(first.lines.slice(701));
    const byCursor = new Map(first.lines.map((l) => [l.cursor, l]));
    expect(
      second.lines.filter((l) => !byCursor.has(l.cursor) || byCursor.get(l.cursor)!.text !== l.text),
    ).toEqual([]);
    expect(proxy.methods.some((m) => m.includes('/logs?') && /since=\d+/.test(m))).toBe(true);
    await engine.rm(name);
  });

  it('chooses the exact name over runner-node-2 and my-runner-node, and waits while it is missing', async () => {
    const decoy = 'while true; do echo decoy; echo decoy >&2; sleep 0.1 & wait $!; done';
    await engine.run('rn-exact-2', decoy);
    await engine.run('my-rn-exact', decoy);
    const c = new Collector(source('rn-exact'));
    await c.until('the missing status', () => c.statuses.some((s) => s.container?.state === 'missing'));
    const missing = c.statuses.find((s) => s.container?.state === 'missing')!;
    expect(missing).toMatchObject({ source: 'docker', state: 'waiting', retryInMs: expect.any(Number) });
    expect(missing.detail).toContain('"rn-exact"');
    const id = await engine.run(
      'rn-exact',
      'echo "the one"; echo "the one, on stderr" >&2; sleep 30 & wait $!',
    );
    await c.until('its lines', () => c.lines.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await c.stop();
    expect(c.lines.map((l) => l.text).sort()).toEqual(['the one', 'the one, on stderr']);
    expect(c.lines.every((l) => l.cursor.endsWith(`.${id.slice(0, 12)}`))).toBe(true);
    for (const n of ['rn-exact', 'rn-exact-2', 'my-rn-exact']) await engine.rm(n);
  });

  it('reads a container with a TTY (a raw stream, not multiplexed)', async () => {
    const name = 'rn-tty';
    const script = `echo "tty 1"; echo "wide $(head -c 20000 /dev/zero | tr '\\0' W)"; echo "tty 2"`;
    const id = await engine.run(name, script, { tty: true });
    await engine.podman(['wait', name]);
    const c = await readAll(name);
    await expectExactly(engine, c, name, id);
    expect(c.texts('stdout', id).map((t) => t.length)).toEqual([5, 20_005, 5]);
    await engine.rm(name);
  });

  // Reads ~10 MB of log through podman's API: about 25 s on a loaded 2-core machine (hence its own timeout).
  it('stops reading the log while the consumer does not pull (backpressure)', async () => {
    const name = 'rn-big';
    const total = 300_000;
    const id = await engine.run(name, `seq 1 ${total}; sleep 60 & wait $!`);
    // The whole log is written before the source reads it: unbounded reading would take all of it at once.
    await until(
      'the last line in the log',
      () => engine.podman(['logs', '--tail', '1', name]),
      (last) => last.trim() === String(total),
    );
    const own = await startRecordingProxy(engine.socketPath);
    const controller = new AbortController();
    const big = new DockerSource({ containerName: name, socketPath: own.socketPath, retry: RETRY });
    const events = big.read({ signal: controller.signal })[Symbol.asyncIterator]();
    const lines: SourceLine[] = [];
    const sizes: number[] = [];
    const pull = async (until: (e: IteratorResult<unknown>) => boolean) => {
      for (;;) {
        const r = await events.next();
        if (r.value?.type === 'lines') {
          lines.push(...r.value.lines);
          sizes.push(r.value.lines.length);
        }
        if (until(r)) return;
      }
    };
    await pull(() => lines.length > 0);
    // Nobody pulls: reading goes on only until the buffers on the way are full, then stops. How long filling
    // them takes depends on the machine's load, so wait until the bytes read stay the same for a second
    // (without backpressure they would stop only at the end of the log: all of it).
    let held = -1;
    let sameSince = Date.now();
    await until(
      'the reading to stop',
      async () => {
        if (own.bytesDown !== held) [held, sameSince] = [own.bytesDown, Date.now()];
        return Date.now() - sameSince;
      },
      (unchangedMs) => unchangedMs >= 1000,
    );
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(1_000_000); // a small part of the ~10 MB log
    await pull(() => lines.length >= total);
    controller.abort();
    await pull((r) => r.done === true);
    await own.close();
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    expect(Math.max(...sizes)).toBe(500);
    expectIncreasingCursors(lines, id);
    await engine.rm(name);
  }, 120_000);

  it('waits and retries, saying so, when the API socket is not there', async () => {
    const c = new Collector(source('runner-node', `${engine.dir}/nothing-here.sock`));
    await c.until('two retries', () => c.statuses.filter((s) => s.state === 'waiting').length >= 2);
    await c.stop();
    const waiting = c.statuses.find((s) => s.state === 'waiting')!;
    expect(waiting.detail).toContain('nothing-here.sock');
    expect(waiting.detail).toContain('ENOENT');
    expect(waiting.retryInMs).toBeGreaterThan(0);
  });
});
