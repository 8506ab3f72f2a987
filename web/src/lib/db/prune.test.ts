import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyEntries,
  applyStatus,
  EPOCH_KEY,
  PRUNED_BEFORE_KEY,
  readResumePoint,
  StaleStreamError,
} from './apply.ts';
import { clearAll, pruneEntries } from './prune.ts';
import { dashboardStats } from './queries.ts';
import type { TruwatchDb } from './schema.ts';
import { chunks, deleteDb, dump, freshDb, generatedEntries } from '../../../../test/support/monitor-db.ts';

const START = Date.UTC(2025, 10, 24, 23);
const CUTOFF = Date.UTC(2025, 10, 25);
const gen = generatedEntries(200, 4, START);
const old = gen.entries.filter((e) => Date.parse(e.ts) < CUTOFF);

let db: TruwatchDb;
afterEach(async () => {
  await deleteDb(db);
});

async function filled() {
  db = await freshDb();
  for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch, batch.at(-1)!.id);
  return db;
}

describe('pruneEntries', () => {
  it('deletes only entries older than the cutoff, in batches, and keeps tasks, invoices, payments and node', async () => {
    await filled();
    const before = await dump(db);
    expect(old.length).toBeGreaterThan(1000);
    expect(old.length).toBeLessThan(gen.entries.length);
    const r = await pruneEntries(db, CUTOFF, { batchSize: 333 });
    expect(r).toEqual({ entries: old.length, tasks: 0, invoices: 0, payments: 0 });
    const after = await dump(db);
    expect(after.entries).toEqual(before.entries.filter((e) => e.tsMs >= CUTOFF));
    expect(after.tasks).toEqual(before.tasks);
    expect(after.invoices).toEqual(before.invoices);
    expect(after.payments).toEqual(before.payments);
    expect(after.node).toEqual(before.node);
    expect(after.meta).toEqual([...before.meta, { key: PRUNED_BEFORE_KEY, value: CUTOFF }]);
    expect(await pruneEntries(db, CUTOFF)).toEqual({ entries: 0, tasks: 0, invoices: 0, payments: 0 });
  });

  it('leaves derived records as they are when the stream replays everything after a prune', async () => {
    await filled();
    await pruneEntries(db, CUTOFF);
    const { tasks, invoices, payments } = await dump(db);
    for (const batch of chunks(
      gen.entries.filter((e) => Date.parse(e.ts) >= CUTOFF),
      500,
    ))
      await applyEntries(db, batch);
    expect((await dump(db)).tasks).toEqual(tasks);
    expect((await dump(db)).invoices).toEqual(invoices);
    expect((await dump(db)).payments).toEqual(payments);
    const dayStart = Math.floor((CUTOFF + 3_600_000) / 86_400_000) * 86_400_000;
    const stats = await dashboardStats(db, { startMs: dayStart, endMs: dayStart + 86_400_000 });
    expect(stats.tasksToday.completed + stats.tasksToday.failed).toBeGreaterThan(0);
  });

  it('does not store again what it pruned when a resumed stream re-sends it; tasks and invoices stay as they are', async () => {
    await filled();
    await pruneEntries(db, CUTOFF);
    const pruned = await dump(db);
    // A resumed stream re-sends its boundary entry, here every entry: the pruned ones are not stored again.
    for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch, batch.at(-1)!.id);
    const after = await dump(db);
    expect(after.entries).toEqual(pruned.entries);
    expect(after.tasks).toEqual(pruned.tasks);
    expect(after.invoices).toEqual(pruned.invoices);
    expect(after.payments).toEqual(pruned.payments);
    // A clear forgets the prune: the whole history comes back with the next backfill.
    await clearAll(db);
    for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch, batch.at(-1)!.id);
    expect((await dump(db)).entries).toHaveLength(gen.entries.length);
  });

  it('also deletes old tasks, invoices and paid notices when asked', async () => {
    await filled();
    const before = await dump(db);
    const r = await pruneEntries(db, CUTOFF, { tasks: true, invoices: true });
    const after = await dump(db);
    expect(after.tasks).toEqual(before.tasks.filter((t) => t.firstSeenMs >= CUTOFF));
    expect(after.invoices).toEqual(before.invoices.filter((i) => i.tsMs >= CUTOFF));
    expect(r.tasks).toBe(before.tasks.length - after.tasks.length);
    expect(r.tasks).toBeGreaterThan(0);
    expect(r.invoices).toBe(before.invoices.length - after.invoices.length);
    expect(after.payments).toEqual(before.payments.filter((p) => p.tsMs >= CUTOFF));
    expect(r.payments).toBe(before.payments.length - after.payments.length);
    expect(r.payments).toBeGreaterThan(0);
  });
});

describe('clearAll', () => {
  it('deletes the history and the cursor, and keeps settings by default', async () => {
    await filled();
    await applyStatus(db, { source: 'replay', state: 'live' });
    await db.put('meta', { key: 'retentionDays', value: 30 });
    await clearAll(db);
    const after = await dump(db);
    expect(after).toEqual({
      entries: [],
      tasks: [],
      invoices: [],
      payments: [],
      node: [],
      meta: [
        { key: EPOCH_KEY, value: 1 },
        { key: 'retentionDays', value: 30 },
      ],
    });
    await clearAll(db, { keepSettings: false });
    expect((await dump(db)).meta).toEqual([{ key: EPOCH_KEY, value: 2 }]);
  });

  it('refuses the writes of a stream that began before the clear, so it cannot store its old position', async () => {
    await filled();
    const before = await readResumePoint(db);
    expect(before).toEqual({ cursor: gen.entries.at(-1)!.id, epoch: 0 });
    await clearAll(db);
    const late = gen.entries.slice(-3);
    await expect(applyEntries(db, late, late.at(-1)!.id, before.epoch)).rejects.toBeInstanceOf(
      StaleStreamError,
    );
    expect(await dump(db)).toMatchObject({ entries: [], tasks: [], invoices: [] });
    expect(await readResumePoint(db)).toEqual({ cursor: undefined, epoch: 1 });
    // A stream begun after the clear writes.
    await applyEntries(db, late, late.at(-1)!.id, 1);
    expect((await dump(db)).entries).toHaveLength(3);
  });
});
