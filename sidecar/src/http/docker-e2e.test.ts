// The whole sidecar on a real Docker Engine API (podman): a container prints the sample runner log, the sidecar
// process follows it, and /api/events carries the entries the parser gets from that log; a restart of the
// container adds its new lines live, /api/health and /api/status tell the container's state, and a client resumes
// from the checkpoints the sidecar keeps in DATA_DIR.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { startEngine, type Engine } from '../../../test/support/podman-engine.ts';
import { startSidecarProcess, type SidecarProcess } from '../../../test/support/sidecar-process.ts';
import { openEvents, type SseEvent } from '../../../test/support/sse-client.ts';
import { parseText } from '../../../test/support/parse-text.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by toMatchObject
type Json = Record<string, any>;

const SAMPLE = new URL('../../../test/fixtures/runner-node-sample.log', import.meta.url).pathname;
const sampleEntries = parseText(readFileSync(SAMPLE, 'utf8'));
const CONTAINER = 'truwatch-e2e-runner';
// Prints the sample at every start, then idles until stopped.
const SCRIPT = 'cat /fixture/runner-node-sample.log; while true; do sleep 1 & wait $!; done';

async function nextEntries(events: AsyncGenerator<SseEvent>, count: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  while (entries.length < count) {
    const next = await events.next();
    if (next.done) break;
    const { event, data } = next.value;
    if (event === 'batch') entries.push(...(JSON.parse(data) as { entries: Entry[] }).entries);
    else if (event === 'entry') entries.push(JSON.parse(data) as Entry);
  }
  return entries;
}

/** What an entry says, without the parts that depend on where it was read (cursor, Docker's timestamp). */
const meaning = (e: Entry) => [e.kind, e.message, e.text, e.executionId, e.outcome];

describe('the sidecar on a real Docker Engine API', () => {
  let engine: Engine;
  let sidecar: SidecarProcess;
  let dataDir: string;

  beforeAll(async () => {
    engine = await startEngine();
    await engine.run(CONTAINER, SCRIPT, { args: ['-v', `${dirname(SAMPLE)}:/fixture:ro`] });
    dataDir = mkdtempSync(join(tmpdir(), 'truwatch-e2e-'));
    sidecar = await startSidecarProcess({
      SOURCE: 'docker',
      CONTAINER_NAME: CONTAINER,
      DOCKER_SOCKET_PATH: engine.socketPath,
      DATA_DIR: dataDir,
    });
  });
  afterAll(async () => {
    await sidecar?.stop();
    await engine?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams the container log as entries, then a restart live', async () => {
    const controller = new AbortController();
    const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
    const first = await nextEntries(events, sampleEntries.length);
    expect(first.map(meaning)).toEqual(sampleEntries.map(meaning));
    expect(first.every((e) => e.id.startsWith('d.'))).toBe(true);

    // The sidecar's own follower (behind /api/status) reads the log on its own: it may be a moment behind,
    // more than expect.poll's default second on a loaded machine (it asks the Docker API a few times first).
    const status = async () =>
      (await (
        await fetch(`${sidecar.url}/api/status`, { headers: { authorization: `Bearer ${sidecar.apiKey}` } })
      ).json()) as Json;
    await expect
      .poll(async () => (await status()).source, { timeout: 30_000 })
      .toMatchObject({ kind: 'docker', state: 'live' });
    expect((await status()).container).toMatchObject({ name: CONTAINER, state: 'running' });
    expect(await (await fetch(`${sidecar.url}/api/health`)).json()).toEqual({ status: 'ok' });

    await engine.restart(CONTAINER);
    const second = await nextEntries(events, sampleEntries.length);
    controller.abort();
    // The same execution ids again (the container prints the same text): same lines, but correlation rightly
    // treats them as the executions it already saw finish.
    expect(second.map((e) => [e.kind, e.message, e.text])).toEqual(
      sampleEntries.map((e) => [e.kind, e.message, e.text]),
    );
    const ids = [...first, ...second].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);

    // Once the follower read both runs: the counts of the three executions, the version of the last line. It
    // follows the restart on its own, as far behind the stream as it was above.
    await expect
      .poll(
        async () => {
          const { counts, runner } = await status();
          return { tasks: counts.tasks, version: runner.version };
        },
        { timeout: 30_000 },
      )
      .toEqual({ tasks: { received: 6, completed: 2, failed: 1 }, version: '2.0.0' });

    // The follower left checkpoints of this container in DATA_DIR; a client resuming after the first run starts
    // from one and gets exactly the second run's entries again.
    const id12 = first[0]!.id.slice(-12);
    const saved = readdirSync(join(dataDir, 'checkpoints', 'docker'));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.every((name) => name.endsWith(`.${id12}.ckpt`))).toBe(true);
    const again = new AbortController();
    const resumed = await openEvents(sidecar.url, sidecar.apiKey, {
      after: first.at(-1)!.id,
      signal: again.signal,
    });
    // (The entry at the cursor comes again: an entry can grow after it was sent.)
    const rest = await nextEntries(resumed, sampleEntries.length + 1);
    again.abort();
    expect(rest.filter((e) => e.id > first.at(-1)!.id)).toEqual(second);
  });
});
