// The Docker source's checkpoint store on its own: which checkpoints a resume may start from, and how few are kept.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_CHECKPOINTS } from '../checkpoint-files.ts';
import { DockerCheckpointStore } from './checkpoint-store.ts';
import { formatCursor } from './cursor.ts';

const A = 'aaaaaaaaaaaa0000';
const B = 'bbbbbbbbbbbb0000';
/** The cursor of the `index`th line at second `second` of container `id`. */
const at = (second: number, id = A, index = 0) =>
  formatCursor(`${1_764_000_000 + second}000000000`, index, id);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-docker-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DockerCheckpointStore', () => {
  it('gives the checkpoints of the cursor’s container at or before it, the latest first', () => {
    const store = new DockerCheckpointStore(dir);
    for (const second of [10, 20, 30]) store.save(at(second), { second });
    expect([...store.before(at(25))].map((cp) => cp.state)).toEqual([{ second: 20 }, { second: 10 }]);
    expect([...store.before(at(20))].map((cp) => cp.cursor)).toEqual([at(20), at(10)]);
    expect([...store.before(at(20, A, 1))][0]!.cursor).toBe(at(20));
    expect([...store.before(at(5))]).toEqual([]);
    // Another container's cursor, or no Docker cursor at all: none.
    expect([...store.before(at(25, B))]).toEqual([]);
    expect([...store.before('f.2025-11-24.000.000000000001000')]).toEqual([]);
  });

  it('gives none older than the correlation window before the cursor, and keeps none older than that', () => {
    const store = new DockerCheckpointStore(dir);
    const DAY = 24 * 3600;
    store.save(at(0), { second: 0 });
    store.save(at(DAY - 60), { second: DAY - 60 });
    // A day and an hour after the first: a resume there reads the window, not from the first checkpoint.
    expect([...store.before(at(DAY + 3600))].map((cp) => cp.state)).toEqual([{ second: DAY - 60 }]);
    expect([...store.before(at(2 * DAY))]).toEqual([]);
    store.save(at(DAY + 30), { second: DAY + 30 });
    expect(readdirSync(dir).sort()).toEqual([`${at(DAY - 60)}.ckpt`, `${at(DAY + 30)}.ckpt`]);
  });

  it('keeps a bounded few of the container read now, spread over its log, the newest ones dense', () => {
    const store = new DockerCheckpointStore(dir);
    for (let second = 1; second <= 40; second++) store.save(at(second * 60), { second });
    const kept = readdirSync(dir).sort();
    expect(kept).toHaveLength(MAX_CHECKPOINTS);
    expect(kept[0]).toBe(`${at(60)}.ckpt`);
    expect(kept.slice(-4)).toEqual([37, 38, 39, 40].map((s) => `${at(s * 60)}.ckpt`));
    // A new container (re-created under the same name): the old one's checkpoints go.
    store.save(at(5000, B), { b: true });
    expect(readdirSync(dir)).toEqual([`${at(5000, B)}.ckpt`]);
  });

  it('leaves no temporary file of a write that never finished, and goes on when one cannot be removed', () => {
    const store = new DockerCheckpointStore(dir);
    store.save(at(10), { second: 10 });
    // A crash mid-write, long ago (whatever process id it had), and a directory where a temporary file would be.
    const crashed = join(dir, `.${at(5)}.ckpt.1.tmp`);
    writeFileSync(crashed, 'half a checkpoint');
    utimesSync(crashed, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    mkdirSync(join(dir, `.${at(6)}.ckpt.2.tmp`));
    utimesSync(join(dir, `.${at(6)}.ckpt.2.tmp`), new Date(0), new Date(0));
    store.save(at(20), { second: 20 });
    expect(readdirSync(dir).sort()).toEqual([`.${at(6)}.ckpt.2.tmp`, `${at(10)}.ckpt`, `${at(20)}.ckpt`]);
    expect([...store.before(at(30))].map((cp) => cp.state)).toEqual([{ second: 20 }, { second: 10 }]);
  });

  it('says so and goes on when its directory cannot be used (a file in its place)', () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const store = new DockerCheckpointStore(join(file, 'docker'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(() => store.save(at(10), { second: 10 })).not.toThrow();
      expect([...store.before(at(20))]).toEqual([]);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('cannot write checkpoints'));
    } finally {
      errors.mockRestore();
    }
  });

  it('ignores a damaged checkpoint, one renamed to another line, and a cursor that is not a Docker one', () => {
    const store = new DockerCheckpointStore(dir);
    store.save(at(10), { second: 10 });
    store.save(at(20), { second: 20 });
    writeFileSync(join(dir, `${at(20)}.ckpt`), 'not a checkpoint');
    expect([...store.before(at(30))].map((cp) => cp.state)).toEqual([{ second: 10 }]);
    rmSync(join(dir, `${at(20)}.ckpt`));
    renameSync(join(dir, `${at(10)}.ckpt`), join(dir, `${at(15)}.ckpt`));
    expect([...store.before(at(30))]).toEqual([]);
    store.save('not-a-cursor', { x: 1 });
    expect(readdirSync(dir)).toEqual([`${at(15)}.ckpt`]);
  });
});
