// Test helpers: read a source in the background and keep what it yields; compare it with what a container wrote.
import { expect } from 'vitest';
import type { Status } from '../../protocol/node-events.ts';
import type { Engine } from './podman-engine.ts';
import { poll } from './poll.ts';
import type { LogSource, SourceLine } from '../../sidecar/src/sources/source.ts';

export class Collector {
  readonly lines: SourceLine[] = [];
  readonly statuses: Status[] = [];
  /** Every `lines` event in order: its size and whether it was live. */
  readonly batches: { live: boolean; size: number }[] = [];
  /** Statuses and batches interleaved, as `status:<state>` and `lines:<live>`. */
  readonly timeline: string[] = [];
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;

  constructor(source: LogSource, after?: string) {
    const signal = this.controller.signal;
    this.done = (async () => {
      for await (const event of source.read(after === undefined ? { signal } : { signal, after })) {
        if (event.type === 'lines') {
          this.lines.push(...event.lines);
          this.batches.push({ live: event.live, size: event.lines.length });
          this.timeline.push(`lines:${event.live}`);
        } else if (event.type === 'status') {
          this.statuses.push(event.status);
          this.timeline.push(`status:${event.status.state}`);
        }
      }
    })();
  }

  /** The texts of one stream, of one container (by the first 12 hex of its id) or all. */
  texts(stream: 'stdout' | 'stderr', id?: string): string[] {
    const suffix = id === undefined ? '' : `.${id.slice(0, 12)}`;
    return this.lines.filter((l) => l.stream === stream && l.cursor.endsWith(suffix)).map((l) => l.text);
  }

  /** Waits until `predicate` holds; fails with `what` and the latest statuses after `timeoutMs`. */
  async until(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) {
        const recent = this.statuses.slice(-3).map((s) => `${s.state}: ${s.detail}`);
        throw new Error(
          `timed out waiting for ${what}; ${this.lines.length} lines; last statuses: ${recent.join(' | ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Aborts the read and waits for the iterator to end (it must, promptly). */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

/** Waits until the source delivered everything the (stopped) container wrote, then compares exactly. */
export async function expectExactly(engine: Engine, c: Collector, name: string, id: string): Promise<void> {
  const truth = await engine.logs(name);
  await c.until(`all lines of ${name}`, () => {
    return (
      c.texts('stdout', id).length >= truth.stdout.length &&
      c.texts('stderr', id).length >= truth.stderr.length
    );
  });
  expect(c.texts('stdout', id)).toEqual(truth.stdout);
  expect(c.texts('stderr', id)).toEqual(truth.stderr);
}

/** While the container runs: what the source delivered is exactly the start of what it wrote. */
export async function expectPrefix(engine: Engine, c: Collector, name: string, id: string): Promise<void> {
  const got = { stdout: c.texts('stdout', id), stderr: c.texts('stderr', id) };
  // Read again if it fails: podman's own log reader fails on a line the container is still writing.
  const truth = await poll(
    `the log of ${name}`,
    () => engine.logs(name),
    () => true,
  );
  expect(got.stdout).toEqual(truth.stdout.slice(0, got.stdout.length));
  expect(got.stderr).toEqual(truth.stderr.slice(0, got.stderr.length));
}

/**
 * Cursors grow in delivery order within one container. Across a re-creation only their timestamps do: with
 * podman's whole seconds, a container created in the second its predecessor last wrote counts from index 0.
 */
export function expectIncreasingCursors(all: SourceLine[], id: string): void {
  const lines = all.filter((l) => l.cursor.endsWith(`.${id.slice(0, 12)}`));
  expect(lines.length).toBeGreaterThan(0);
  const bad = lines.findIndex((l, i) => i > 0 && !(lines[i - 1]!.cursor < l.cursor));
  expect(bad, bad === -1 ? '' : `${lines[bad - 1]!.cursor} then ${lines[bad]!.cursor}`).toBe(-1);
  // 5 digits of index; past 90 000 lines in one timestamp (seq under podman does that), 9 and 9 more digits.
  expect(lines.filter((l) => !/^d\.\d{19}\.(\d{5}|9\d{9})\.[0-9a-f]{12}$/.test(l.cursor))).toEqual([]);
}
