// Resuming the Docker source from checkpoints, against a real Docker Engine API (podman): the sidecar's own
// follower leaves them in DATA_DIR as it reads a container's log, and a resume in that container starts at the last
// one before its cursor instead of reading the day before it again. The entries after the cursor are exactly those
// a full read gives, from a stopped container's log and from one followed live; a checkpoint of another container,
// or a damaged one, is not used.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_RETRY } from '../../../../test/support/docker-source.ts';
import { entriesFrom, readUntilCaughtUp } from '../../../../test/support/pipeline-reader.ts';
import { usePodman } from '../../../../test/support/podman-fixture.ts';
import { poll } from '../../../../test/support/poll.ts';
import { writeGeneratedLog } from '../../demo/write-log.ts';
import { pipeline } from '../../pipeline.ts';
import { CHECKPOINT_CHARS, DockerCheckpointStore } from './checkpoint-store.ts';
import { DockerSource } from './docker.ts';

const podman = usePodman();
let scratch: string;
let logBytes: number;
/** The generated log's last line: a container's log is complete when podman's reading of it ends with it. */
let lastLine: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'truwatch-docker-checkpoint-'));
  // About 8 MB: several checkpoints, executions running across each of them.
  const file = join(scratch, 'runner.log');
  const truth = await writeGeneratedLog(file, { tasks: 2000, startMs: Date.parse('2025-11-24T00:00:00Z') });
  logBytes = truth.bytes;
  const text = readFileSync(file);
  lastLine = text.toString('latin1').trimEnd().split('\n').at(-1)!;
  // The same log in two parts, for a container that prints the second while it is followed.
  const cut = text.indexOf(10, Math.floor(text.length * 0.4)) + 1;
  writeFileSync(join(scratch, 'first.part'), text.subarray(0, cut));
  writeFileSync(join(scratch, 'second.part'), text.subarray(cut));
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Waits until podman's own reading of the container's log ends with the generated log's last line. */
async function logComplete(name: string): Promise<void> {
  const tail = () => podman.engine().podman(['logs', '--tail', '1', name]);
  // A read that fails (podman's reader on a line still being written) counts as "not yet".
  await poll(`${name}'s log written`, tail, (text) => text.trimEnd() === lastLine, 60_000);
}

/** A container that has written the generated log and stopped; its id. */
async function runnerContainer(name: string): Promise<string> {
  const engine = podman.engine();
  const id = await engine.run(name, 'cat /log/runner.log', { args: ['-v', `${scratch}:/log:ro`] });
  await engine.podman(['wait', name]);
  await logComplete(name);
  return id;
}

const source = (name: string, data: string) =>
  new DockerSource({
    containerName: name,
    socketPath: podman.proxy().socketPath,
    retry: TEST_RETRY,
    idleMs: 300,
    checkpoints: new DockerCheckpointStore(join(data, 'docker')),
  });

describe('DockerSource: resuming from checkpoints', () => {
  it('gives exactly the entries of a full read after cursors anywhere in the log, from a checkpoint', async () => {
    const name = 'rn-checkpoint';
    const data = join(scratch, 'data-exact');
    await runnerContainer(name);
    // The sidecar's follower reads everything and leaves checkpoints; a client without a cursor reads it all.
    const follower = await readUntilCaughtUp(source(name, data), { checkpoints: true });
    const saved = readdirSync(join(data, 'docker')).map((n) => n.slice(0, -'.ckpt'.length));
    expect(saved.length).toBeGreaterThanOrEqual(Math.floor(logBytes / CHECKPOINT_CHARS / 2));
    const full = await readUntilCaughtUp(source(name, data), {});
    expect(full.restored).toBe(false);
    expect(full.entries).toEqual(follower.entries);
    const ids = full.entries.map((e) => e.id);
    // Metrics lines whose execution started before them, the last entry, and the first entry after each checkpoint.
    const metrics = full.entries.filter((e) => e.kind === 'task.metrics' && e.outcome);
    const cursors = [0.2, 0.55, 0.9].map((share) => metrics[Math.floor(metrics.length * share)]!.id);
    cursors.push(ids.at(-1)!);
    for (const at of saved) {
      const next = ids.find((id) => id > at);
      if (next) cursors.push(next);
    }
    for (const cursor of cursors) {
      const resumed = await readUntilCaughtUp(source(name, data), { after: cursor });
      expect(resumed.restored, cursor).toBe(true);
      expect(entriesFrom(resumed.entries, cursor), cursor).toEqual(entriesFrom(full.entries, cursor));
      // Read from the last checkpoint at or before the cursor on, not the log before it.
      const from = saved.filter((at) => at <= cursor).at(-1)!;
      expect(resumed.cursors, cursor).toEqual(full.cursors.filter((c) => c > from));
    }
    await podman.engine().rm(name);
  }, 180_000);

  it('does not use a checkpoint of another container nor a damaged one', async () => {
    const data = join(scratch, 'data-other');
    await runnerContainer('rn-checkpoint-a');
    await readUntilCaughtUp(source('rn-checkpoint-a', data), { checkpoints: true });
    const dir = join(data, 'docker');
    expect(readdirSync(dir).length).toBeGreaterThan(1);
    await podman.engine().rm('rn-checkpoint-a');

    // A new container under the same name: its own cursors; the old container's checkpoints are not used.
    const name = 'rn-checkpoint-a';
    const id = await runnerContainer(name);
    const full = await readUntilCaughtUp(source(name, data), {});
    expect(full.entries.every((e) => e.id.endsWith(id.slice(0, 12)))).toBe(true);
    const cursor = full.entries[Math.floor(full.entries.length * 0.8)]!.id;
    let resumed = await readUntilCaughtUp(source(name, data), { after: cursor });
    expect(resumed.restored).toBe(false);
    expect(entriesFrom(resumed.entries, cursor)).toEqual(entriesFrom(full.entries, cursor));

    // Its follower's checkpoints replace the old container's.
    await readUntilCaughtUp(source(name, data), { checkpoints: true });
    const ofNew = readdirSync(dir);
    expect(ofNew.every((n) => n.includes(id.slice(0, 12)))).toBe(true);
    expect((await readUntilCaughtUp(source(name, data), { after: cursor })).restored).toBe(true);

    // Damaged, or of another version: ignored, and the resume is exact all the same.
    for (const [i, file] of ofNew.entries()) {
      const content = readFileSync(join(dir, file), 'utf8');
      const body = content.slice(content.indexOf('\n') + 1).replace('"version":3', '"version":2');
      if (i % 2 === 0)
        writeFileSync(join(dir, file), `${createHash('sha256').update(body).digest('hex')}\n${body}`);
      else writeFileSync(join(dir, file), content.slice(0, content.length / 2));
    }
    resumed = await readUntilCaughtUp(source(name, data), { after: cursor });
    expect(resumed.restored).toBe(false);
    expect(entriesFrom(resumed.entries, cursor)).toEqual(entriesFrom(full.entries, cursor));
    await podman.engine().rm(name);
  }, 180_000);

  it('keeps checkpoints while following a running container live, and a resume near the end starts at a recent one', async () => {
    const name = 'rn-checkpoint-live';
    const data = join(scratch, 'data-live');
    const marks = join(scratch, 'marks-live');
    mkdirSync(marks);
    // Prints the first part, waits to be told, prints the second while the follower is live, and runs on.
    const script =
      'cat /log/first.part; while [ ! -e /marks/go ]; do sleep 1; done; cat /log/second.part; sleep 3600 & wait $!';
    const id = await podman.engine().run(name, script, {
      args: ['-v', `${scratch}:/log:ro`, '-v', `${marks}:/marks:ro`],
    });
    const controller = new AbortController();
    let live = false;
    let seen = '';
    const follower = (async () => {
      for await (const event of pipeline({
        source: source(name, data),
        signal: controller.signal,
        checkpoints: true,
      })) {
        if (event.type === 'entries') seen = event.entries.at(-1)!.id;
        else if (event.status.state === 'live') live = true;
      }
    })();
    try {
      await poll('the follower live', async () => live, Boolean, 60_000);
      const atLive = readdirSync(join(data, 'docker'));
      expect(atLive.length).toBeGreaterThan(0);
      writeFileSync(join(marks, 'go'), '');
      await logComplete(name);
      const full = await readUntilCaughtUp(source(name, data), {});
      const last = full.entries.at(-1)!.id;
      await poll(
        'the follower at the end',
        async () => seen,
        (id) => id >= last,
        60_000,
      );
      // Taken while following live, after the checkpoint of going live.
      const saved = readdirSync(join(data, 'docker')).map((n) => n.slice(0, -'.ckpt'.length));
      expect(saved.filter((at) => at > atLive.at(-1)!.slice(0, -'.ckpt'.length)).length).toBeGreaterThan(1);
      expect(saved.every((at) => at.endsWith(id.slice(0, 12)))).toBe(true);
      const cursor = full.entries[Math.floor(full.entries.length * 0.97)]!.id;
      const resumed = await readUntilCaughtUp(source(name, data), { after: cursor });
      expect(resumed.restored).toBe(true);
      expect(entriesFrom(resumed.entries, cursor)).toEqual(entriesFrom(full.entries, cursor));
      const from = saved.filter((at) => at <= cursor).at(-1)!;
      expect(resumed.cursors).toEqual(full.cursors.filter((c) => c > from));
      expect(resumed.cursors.length).toBeLessThan(full.cursors.length / 4);
    } finally {
      controller.abort();
      await follower;
      await podman.engine().rm(name);
    }
  }, 180_000);
});
