// The Docker source against a real Docker Engine API (podman), one container a test: resuming after a cursor,
// choosing the container by its exact name, a TTY's raw stream, and an API socket that is not there.
// Ground truth is what the container wrote, as the podman CLI reads it from the log file (not through the API).
import { describe, expect, it } from 'vitest';
import { testDockerSource } from '../../../../test/support/docker-source.ts';
import { usePodman } from '../../../../test/support/podman-fixture.ts';
import {
  Collector,
  expectExactly,
  expectIncreasingCursors,
} from '../../../../test/support/source-collector.ts';

const podman = usePodman();

const source = (name: string) => testDockerSource(name, podman.proxy().socketPath);

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

describe('DockerSource: resuming, choosing, raw streams, no API', () => {
  it('resumes after a cursor: the lines after it exactly, the ones before it unchanged', async () => {
    const engine = podman.engine();
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
    expect(podman.proxy().methods.some((m) => m.includes('/logs?') && /since=\d+/.test(m))).toBe(true);
    await engine.rm(name);
  });

  it('chooses the exact name over runner-node-2 and my-runner-node, and waits while it is missing', async () => {
    const engine = podman.engine();
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
    const engine = podman.engine();
    const name = 'rn-tty';
    const script = `echo "tty 1"; echo "wide $(head -c 20000 /dev/zero | tr '\\0' W)"; echo "tty 2"`;
    const id = await engine.run(name, script, { tty: true });
    await engine.podman(['wait', name]);
    const c = await readAll(name);
    await expectExactly(engine, c, name, id);
    expect(c.texts('stdout', id).map((t) => t.length)).toEqual([5, 20_005, 5]);
    await engine.rm(name);
  });

  it('waits and retries, saying so, when the API socket is not there', async () => {
    const c = new Collector(testDockerSource('runner-node', `${podman.engine().dir}/nothing-here.sock`));
    await c.until('two retries', () => c.statuses.filter((s) => s.state === 'waiting').length >= 2);
    await c.stop();
    const waiting = c.statuses.find((s) => s.state === 'waiting')!;
    expect(waiting.detail).toContain('nothing-here.sock');
    expect(waiting.detail).toContain('ENOENT');
    expect(waiting.retryInMs).toBeGreaterThan(0);
  });

  it('sent GET requests only', () => {
    const { methods } = podman.proxy();
    expect(methods.some((m) => m.includes('/logs?'))).toBe(true);
    expect(methods.filter((m) => !m.startsWith('GET '))).toEqual([]);
  });
});
