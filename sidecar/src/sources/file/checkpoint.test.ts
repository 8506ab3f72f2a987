// Resuming the file source from checkpoints: the sidecar's own follower leaves them in DATA_DIR as it reads, and a
// resume starts at the last valid one before its cursor. The entries after the cursor are exactly those a full read
// gives (ids, kinds, executions, outcomes, redaction), at cursors anywhere in a generated day; a checkpoint of a
// file replaced, rewritten or cut shorter, or a damaged checkpoint file, is not used and the resume is exact all the
// same; the store stays bounded.
import {
  mkdtempSync,
  openSync,
  renameSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../../../protocol/node-events.ts';
import { sidecarConfig } from '../../../../test/support/sidecar-in-process.ts';
import { openEvents } from '../../../../test/support/sse-client.ts';
import { entriesFrom, readUntilCaughtUp } from '../../../../test/support/pipeline-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { writeGeneratedLog } from '../../demo/write-log.ts';
import { pipeline } from '../../pipeline.ts';
import { startSidecar } from '../../server.ts';
import { MAX_CHECKPOINTS } from '../checkpoint-files.ts';
import { CheckpointStore } from './checkpoint-store.ts';
import { FileSource } from './file.ts';
import { CHECKPOINT_BYTES } from './session.ts';

const logs = useRunnerLogDir();
const DAY = '2025-11-24';
const NAME = `worker-${DAY}.log`;
let text: Buffer;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'truwatch-checkpoint-'));
  const file = join(scratch, 'generated.log');
  // About 8 MB: several checkpoints, executions running across each of them.
  await writeGeneratedLog(file, { tasks: 2000, startMs: Date.parse(`${DAY}T00:00:00Z`) });
  text = readFileSync(file);
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The source that reads the log directory, with its checkpoints in `dataDir`. */
function fileSource(dataDir: string): FileSource {
  return new FileSource({
    dir: logs.path,
    pollMs: 15,
    checkpoints: new CheckpointStore(join(dataDir, 'file')),
  });
}

/** Reads through the pipeline until the source is live; `from`: the byte offset of the first line it read. */
async function readUntilLive(source: FileSource, options: { after?: string; checkpoints?: boolean }) {
  const read = await readUntilCaughtUp(source, options);
  const first = read.cursors[0];
  return { ...read, from: first === undefined ? -1 : Number(first.slice(-15)) };
}

const after = entriesFrom;

describe('FileSource: resuming from checkpoints', () => {
  it('gives exactly the entries of a full read after cursors anywhere in the day, from a checkpoint', async () => {
    logs.write(NAME, text);
    const data = join(logs.path, '..', `${logs.path.split('/').at(-1)}-data`);
    try {
      // The sidecar's follower reads everything and leaves checkpoints; a client without a cursor reads it all.
      const follower = await readUntilLive(fileSource(data), { checkpoints: true });
      const saved = readdirSync(join(data, 'file'));
      expect(saved.length).toBeGreaterThanOrEqual(Math.floor(text.length / CHECKPOINT_BYTES / 2));
      const full = await readUntilLive(fileSource(data), {});
      expect(full.entries).toEqual(follower.entries);
      const ids = full.entries.map((e) => e.id);
      // Cursors in the middle of executions: a metrics line whose execution started before it, the last entry,
      // and the first entry at or after each checkpoint (where the state restored decides the most).
      const metrics = full.entries.filter((e) => e.kind === 'task.metrics' && e.outcome);
      const cursors = [0.2, 0.55, 0.9].map((share) => metrics[Math.floor(metrics.length * share)]!.id);
      cursors.push(ids.at(-1)!);
      const checkpointAt = saved.map((name) => name.slice(0, -'.ckpt'.length));
      // (The last checkpoint is at the end of the file, where the follower went live: no entry after it.)
      for (const at of checkpointAt.slice(0, -1)) cursors.push(ids.find((id) => id >= at)!);
      const receivedAt = new Map(
        full.entries.filter((e) => e.kind === 'task.received').map((e) => [e.executionId, e.id]),
      );
      let crossing = 0;
      for (const cursor of cursors) {
        const resumed = await readUntilLive(fileSource(data), { after: cursor });
        expect(resumed.restored, cursor).toBe(true);
        const expected = after(full.entries, cursor);
        expect(after(resumed.entries, cursor), cursor).toEqual(expected);
        // Entries of executions received before the checkpoint the resume started at: correlation carried over.
        const from = `f.${DAY}.000.${String(resumed.from).padStart(15, '0')}`;
        crossing += expected.filter((e) => e.executionId && receivedAt.get(e.executionId)! < from).length;
      }
      expect(crossing).toBeGreaterThan(cursors.length);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('does not use a checkpoint of a file replaced, rewritten before it or cut shorter, nor a damaged one', async () => {
    logs.write(NAME, text);
    const data = join(logs.path, '..', `${logs.path.split('/').at(-1)}-data`);
    try {
      await readUntilLive(fileSource(data), { checkpoints: true });
      const full = await readUntilLive(fileSource(data), {});
      const cursor = full.entries[Math.floor(full.entries.length * 0.8)]!.id;
      const resume = () => readUntilLive(fileSource(data), { after: cursor });
      expect((await resume()).restored).toBe(true);

      // Replaced by a copy of itself (another inode): the checkpoint is not used, the resume is exact.
      logs.write(`${NAME}.new`, text);
      renameSync(logs.file(`${NAME}.new`), logs.file(NAME));
      let resumed = await resume();
      expect(resumed.restored).toBe(false);
      expect(after(resumed.entries, cursor)).toEqual(after(full.entries, cursor));

      // Checkpoints of this file again, then bytes before them rewritten in place (same inode, same size).
      await readUntilLive(fileSource(data), { checkpoints: true });
      expect((await resume()).restored).toBe(true);
      // Just before the checkpoint the resume would start at (what the hash covers, with the file's head).
      const offsets = readdirSync(join(data, 'file')).map((n) => Number(n.slice(-20, -5)));
      const used = Math.max(
        ...offsets.filter((o) => `f.${DAY}.000.${String(o).padStart(15, '0')}` <= cursor),
      );
      const changed = Buffer.from(text);
      changed.write('_', changed.lastIndexOf(' ', used - 10));
      const fd = openSync(logs.file(NAME), 'r+');
      writeSync(fd, changed, 0, changed.length, 0);
      closeSync(fd);
      resumed = await resume();
      // Not from that checkpoint: from an earlier one, which the change is after.
      expect(resumed.from).toBeLessThan(used - 10);
      const fullChanged = await readUntilLive(fileSource(data), {});
      expect(after(resumed.entries, cursor)).toEqual(after(fullChanged.entries, cursor));

      // Checkpoint files damaged, or of another version: ignored.
      logs.write(NAME, text);
      await readUntilLive(fileSource(data), { checkpoints: true });
      expect((await resume()).restored).toBe(true);
      const dir = join(data, 'file');
      for (const [i, name] of readdirSync(dir).entries()) {
        const content = readFileSync(join(dir, name), 'utf8');
        if (i % 2 === 0) writeFileSync(join(dir, name), content.replace('"executions"', '"executionz"'));
        else writeFileSync(join(dir, name), content.slice(0, content.length / 2));
      }
      resumed = await resume();
      expect(resumed.restored).toBe(false);
      expect(after(resumed.entries, cursor)).toEqual(after(full.entries, cursor));

      // Cut shorter than the cursor (truncated and written again): read from its start as the next generation.
      await readUntilLive(fileSource(data), { checkpoints: true });
      logs.write(NAME, text.subarray(0, Math.floor(text.length / 2)));
      resumed = await resume();
      expect(resumed.restored).toBe(false);
      expect(resumed.entries[0]!.id).toBe(`f.${DAY}.001.000000000000000`);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 180_000);

  it('keeps checkpoints while following the file live, and a resume near its end starts at a recent one', async () => {
    // The day grows while the follower is live, in pieces cut at line ends, with quiet times between them.
    const cut = (at: number) => text.indexOf('\n', at) + 1;
    const pieces = [0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1].map((share) =>
      cut(Math.floor(text.length * share)),
    );
    pieces[pieces.length - 1] = text.length;
    logs.write(NAME, text.subarray(0, pieces[1]));
    const data = join(logs.path, '..', `${logs.path.split('/').at(-1)}-data`);
    const controller = new AbortController();
    let seen = '';
    const follower = (async () => {
      for await (const event of pipeline({
        source: fileSource(data),
        signal: controller.signal,
        checkpoints: true,
      }))
        if (event.type === 'entries') seen = event.entries.at(-1)!.id;
    })();
    try {
      for (let i = 1; i < pieces.length - 1; i++) {
        await new Promise((r) => setTimeout(r, 150));
        logs.append(NAME, text.subarray(pieces[i], pieces[i + 1]).toString());
      }
      const lastLine = `f.${DAY}.000.${String(text.lastIndexOf('\n', text.length - 2) + 1).padStart(15, '0')}`;
      const deadline = Date.now() + 60_000;
      while (seen < lastLine && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const offsets = readdirSync(join(data, 'file')).map((n) => Number(n.slice(-20, -5)));
      // Taken after the first piece, i.e. while live.
      expect(offsets.filter((o) => o > pieces[1]!).length).toBeGreaterThan(3);
      const full = await readUntilLive(fileSource(data), {});
      const cursor = full.entries[Math.floor(full.entries.length * 0.97)]!.id;
      const resumed = await readUntilLive(fileSource(data), { after: cursor });
      expect(resumed.restored).toBe(true);
      expect(text.length - resumed.from).toBeLessThan(3 * CHECKPOINT_BYTES);
      expect(after(resumed.entries, cursor)).toEqual(after(full.entries, cursor));
    } finally {
      controller.abort();
      await follower;
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('resumes in an older day (rotated, gzipped) by reading it again, exactly', async () => {
    logs.write(NAME, text);
    const data = join(logs.path, '..', `${logs.path.split('/').at(-1)}-data`);
    try {
      await readUntilLive(fileSource(data), { checkpoints: true });
      expect(readdirSync(join(data, 'file')).length).toBeGreaterThan(2);
      // Midnight: the day is gzipped and a new day's file begins.
      rmSync(logs.file(NAME));
      logs.writeGz(`${NAME}.gz`, text.toString());
      logs.write(
        'worker-2025-11-25.log',
        '2025-11-25 00:00:01 info: @truebit/worker-runner-node:2.0.0 Using slot 1/4\n',
      );
      const full = await readUntilLive(fileSource(data), {});
      const cursor = full.entries[Math.floor(full.entries.length * 0.8)]!.id;
      expect(cursor.slice(2, 12)).toBe(DAY);
      const resumed = await readUntilLive(fileSource(data), { after: cursor });
      expect(resumed.restored).toBe(false);
      expect(after(resumed.entries, cursor)).toEqual(after(full.entries, cursor));
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('never writes task data: no checkpoint where the entry still open holds some', async () => {
    const header = `${DAY} 10:00:00 info: @truebit/worker-runner-node:2.0.0`;
    const lines: string[] = [];
    for (let n = 0; n < 6000; n++) {
      // Transcripts spread over lines, their input not redacted until the entry is complete.
      lines.push(`${header} Message received from task_created: {`, `  "executionId": "e${n}",`);
      lines.push(`  "input": "SECRET-${n}-${'x'.repeat(400)}"`, '}');
      if (n % 3 === 0) lines.push(`${header} Using slot ${n % 4}/4`);
    }
    logs.write(NAME, `${lines.join('\n')}\n`);
    const data = join(logs.path, '..', `${logs.path.split('/').at(-1)}-data`);
    try {
      const full = await readUntilLive(fileSource(data), { checkpoints: true });
      const dir = join(data, 'file');
      const saved = readdirSync(dir);
      expect(saved.length).toBeGreaterThan(1);
      for (const name of saved) expect(readFileSync(join(dir, name), 'utf8')).not.toContain('SECRET');
      const cursor = full.entries[Math.floor(full.entries.length * 0.7)]!.id;
      const resumed = await readUntilLive(fileSource(data), { after: cursor });
      expect(resumed.restored).toBe(true);
      expect(after(resumed.entries, cursor)).toEqual(after(full.entries, cursor));
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps a bounded number of checkpoints, of the newest day only, spread over it', () => {
    const store = new CheckpointStore(join(scratch, 'bounded'));
    const days = ['2025-11-22', '2025-11-23', '2025-11-24'];
    for (const date of days)
      for (let i = 1; i <= 40; i++)
        store.save({ date, gen: 0, offset: i * CHECKPOINT_BYTES, ino: 1, window: 'w' }, { n: i });
    const names = readdirSync(join(scratch, 'bounded'));
    expect(names.length).toBe(MAX_CHECKPOINTS);
    expect(names.every((n) => n.includes('2025-11-24'))).toBe(true);
    // The newest few as they were, the first, the rest spread over the day.
    const offsets = names.map((n) => Number(n.slice(-20, -5)) / CHECKPOINT_BYTES);
    expect(offsets.slice(-4)).toEqual([37, 38, 39, 40]);
    expect(offsets[0]).toBe(1);
    expect(Math.max(...offsets.slice(1).map((o, i) => o - offsets[i]!))).toBeLessThanOrEqual(8);
    // What is kept reads back; the temporary files are gone.
    expect([...store.before('2025-11-24', 0, 40 * CHECKPOINT_BYTES)][0]).toMatchObject({ state: { n: 40 } });
    expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('resumes GET /api/events of the real sidecar from its follower’s checkpoints, exactly', async () => {
    logs.write(NAME, text);
    const dir = mkdtempSync(join(tmpdir(), 'truwatch-checkpoint-sidecar-'));
    const sidecar = await startSidecar(sidecarConfig(dir, 0, { kind: 'file', dir: logs.path }), {
      quietMs: 20,
    });
    try {
      const stream = async (cursor?: string) => {
        const controller = new AbortController();
        const events = await openEvents(sidecar.url, sidecar.apiKey, {
          signal: controller.signal,
          ...(cursor && { after: cursor }),
        });
        const byId = new Map<string, Entry>();
        for await (const event of events) {
          if (event.event === 'batch')
            for (const e of JSON.parse(event.data).entries as Entry[]) byId.set(e.id, e);
          if (event.event === 'entry') byId.set(JSON.parse(event.data).id, JSON.parse(event.data));
          if (event.event === 'status' && JSON.parse(event.data).state === 'live') break;
        }
        controller.abort();
        return [...byId.values()];
      };
      while (sidecar.monitor.state.state !== 'live') await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(join(dir, 'data', 'checkpoints', 'file')).length).toBeGreaterThan(2);
      const full = await stream();
      const cursor = full[Math.floor(full.length * 0.97)]!.id;
      expect(after(await stream(cursor), cursor)).toEqual(after(full, cursor));
    } finally {
      await sidecar.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
