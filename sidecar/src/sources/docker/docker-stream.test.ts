// The Docker source's hold on a log stream, against a real Docker Engine API (podman), each test through a
// recording proxy of its own: it reads only as fast as the consumer pulls (backpressure), and it closes the
// stream when the consumer stops, without waiting for the abort.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_RETRY } from '../../../../test/support/docker-source.ts';
import { startRecordingProxy } from '../../../../test/support/podman-engine.ts';
import { usePodman } from '../../../../test/support/podman-fixture.ts';
import { poll } from '../../../../test/support/poll.ts';
import { expectIncreasingCursors } from '../../../../test/support/source-collector.ts';
import { DockerSource } from './docker.ts';
import type { SourceLine } from '../source.ts';

const podman = usePodman();

describe('DockerSource: one log stream', () => {
  // Reads ~10 MB of log through podman's API: about 25 s on a loaded 2-core machine (hence its own timeout).
  it('stops reading the log while the consumer does not pull (backpressure)', async () => {
    const engine = podman.engine();
    const name = 'rn-big';
    const total = 300_000;
    // The container says it has written everything in a file of the host's: a file's existence cannot be
    // half-written, unlike the last line of the log (podman's log reader fails on a line still being written).
    const marks = await mkdtemp(join(tmpdir(), 'truwatch-marks-'));
    const id = await engine.run(name, `seq 1 ${total}; touch /marks/written; sleep 60 & wait $!`, {
      args: ['-v', `${marks}:/marks`],
    });
    // The whole log is written before the source reads it: unbounded reading would take all of it at once.
    await poll(
      'the container to write its log',
      () => access(join(marks, 'written')).then(() => true),
      Boolean,
    );
    const own = await startRecordingProxy(engine.socketPath);
    const controller = new AbortController();
    const big = new DockerSource({ containerName: name, socketPath: own.socketPath, retry: TEST_RETRY });
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
    await poll(
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
    await rm(marks, { recursive: true, force: true });
  }, 120_000);

  it('closes the log stream when the consumer stops at the first status of a run, without aborting', async () => {
    const engine = podman.engine();
    const name = 'rn-early';
    await engine.run(name, 'while true; do echo tick; sleep 0.1 & wait $!; done');
    const own = await startRecordingProxy(engine.socketPath);
    const controller = new AbortController();
    try {
      const source = new DockerSource({ containerName: name, socketPath: own.socketPath, retry: TEST_RETRY });
      const events = source.read({ signal: controller.signal })[Symbol.asyncIterator]();
      // The reader's first status, then the follower's: by then the run's log stream is open.
      expect((await events.next()).value).toMatchObject({ status: { state: 'connecting' } });
      expect((await events.next()).value).toMatchObject({ status: { state: 'backfill' } });
      expect(own.open.filter((r) => r.includes('/logs?'))).toHaveLength(1);
      // The consumer is done with the source, and the signal stays as it is: nothing is left open.
      expect(await events.return?.(undefined)).toMatchObject({ done: true });
      await poll(
        'every request closed',
        async () => own.open,
        (open) => open.length === 0,
        10_000,
      );
      expect(controller.signal.aborted).toBe(false);
      expect(own.methods.filter((m) => m.includes('/logs?'))).toHaveLength(1);
    } finally {
      controller.abort();
      await own.close();
      await engine.rm(name);
    }
  });
});
