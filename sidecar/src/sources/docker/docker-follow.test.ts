// The Docker source follows one container through its life against a real Docker Engine API (podman), through a
// proxy that records every request: backfill then live, restarts, stops and kills, an outage of the API, a
// re-creation under the same name, and GET requests only. The tests run in order on one container.
// Ground truth is what the container wrote, as the podman CLI reads it from the log file (not through the API).
import { describe, expect, it } from 'vitest';
import { TEST_RETRY, testDockerSource } from '../../../../test/support/docker-source.ts';
import { usePodman } from '../../../../test/support/podman-fixture.ts';
import { poll } from '../../../../test/support/poll.ts';
import {
  Collector,
  expectExactly,
  expectIncreasingCursors,
  expectPrefix,
} from '../../../../test/support/source-collector.ts';

const podman = usePodman();

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

describe('DockerSource against podman', () => {
  const name = 'runner-node';
  let c: Collector;
  let id = '';

  it('backfills the whole log, then follows it live', async () => {
    const engine = podman.engine();
    id = await engine.run(name, NUMBERED);
    // The burst of the start is history by the time the source starts: its last line is in the log.
    // A read may fail: podman's own log reader fails on a line the container is still writing.
    await poll(
      'the burst in the log',
      () => engine.logs(name),
      (logs) => logs.stderr.some((l) => l.startsWith('long')),
    );
    c = new Collector(testDockerSource(name, podman.proxy().socketPath));
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
    await podman.engine().restart(name);
    await c.until('the second run', () => runs(c) === 2);
    const at = c.lines.length;
    await c.until('lines of the second run', () => c.lines.length > at + 10);
    await expectPrefix(podman.engine(), c, name, id);
  });

  it('follows it across stop and start, and kill and start', async () => {
    const engine = podman.engine();
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
    const engine = podman.engine();
    const before = c.statuses.length;
    await engine.killService();
    // Three attempts at least (50, 100, 200 ms apart, then longer): the container goes on writing meanwhile.
    const waitingSince = () => c.statuses.slice(before).filter((s) => s.state === 'waiting');
    await c.until('three waiting statuses', () => waitingSince().length >= 3);
    const waiting = waitingSince();
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    expect(waiting.every((s) => s.retryInMs !== undefined && s.retryInMs <= TEST_RETRY.maxMs)).toBe(true);
    expect(Math.max(...waiting.map((s) => s.retryInMs!))).toBeGreaterThan(waiting[0]!.retryInMs!);
    expect(waiting[0]!.detail).toContain(podman.proxy().socketPath);
    const linesBefore = c.lines.length;
    await engine.startService();
    await c.until('lines after the outage', () => c.lines.length > linesBefore + 30);
    expect(c.statuses.at(-1)!.state).not.toBe('waiting');
    await engine.stop(name);
    await expectExactly(engine, c, name, id);
  });

  it('reads the whole log of a container re-created under the same name', async () => {
    const engine = podman.engine();
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
    const { methods } = podman.proxy();
    expect(methods.length).toBeGreaterThan(10);
    expect(methods.filter((m) => !m.startsWith('GET '))).toEqual([]);
    const paths = methods.join('\n');
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
