import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyEntries } from '../../db/apply.ts';
import { countStoredEntries } from '../../db/blocks.ts';
import { pruneEntries } from '../../db/prune.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { chunks, deleteDb, freshDb, generatedEntries } from '../../../../../test/support/monitor-db.ts';
import { AutoPrune, PRUNE_EVERY_MS } from './auto-prune.ts';

const DAY = 86_400_000;
// 300 tasks from 22:00 UTC on 24 November: about 2.5 hours of entries.
const START = Date.UTC(2025, 10, 24, 22);
const gen = generatedEntries(300, 5, START);
const times = gen.entries.map((e) => Date.parse(e.ts));
const newer = (cutoff: number) => times.filter((t) => t >= cutoff).length;

let db: TruwatchDb | undefined;
let auto: AutoPrune | undefined;
afterEach(async () => {
  auto?.stop();
  vi.useRealTimers();
  await deleteDb(db);
});

async function filled(): Promise<TruwatchDb> {
  db = await freshDb();
  for (const batch of chunks(gen.entries, 500)) await applyEntries(db, batch, batch.at(-1)!.id);
  return db;
}

describe('AutoPrune', () => {
  it('prunes as soon as it is told the retention, and again each day while the app is open', async () => {
    const store = await filled();
    // Now: 30 days after the first hour of entries, so a 30-day retention drops that hour.
    let now = START + 30 * DAY + 3_600_000;
    auto = new AutoPrune(
      async (cutoff) => (await pruneEntries(store, cutoff)).entries,
      () => now,
    );
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const removed = await auto.keep(30);
    expect(removed).toBe(gen.entries.length - newer(now - 30 * DAY));
    expect(removed).toBeGreaterThan(0);
    expect(await countStoredEntries(store)).toBe(newer(now - 30 * DAY));
    // A day later, nothing asked: the day's run prunes the next hour.
    now += 3_600_000;
    vi.advanceTimersByTime(PRUNE_EVERY_MS);
    await vi.waitFor(async () => expect(await countStoredEntries(store)).toBe(newer(now - 30 * DAY)));
    expect(newer(now - 30 * DAY)).toBeLessThan(gen.entries.length - removed);
  });

  it('keeps everything with 0, and refuses negative or absurd retentions without pruning', async () => {
    const store = await filled();
    const prune = vi.fn(async (cutoff: number) => (await pruneEntries(store, cutoff)).entries);
    auto = new AutoPrune(prune, () => START + 10 * 365 * DAY);
    expect(await auto.keep(0)).toBe(0);
    for (const days of [-1, -30, 3651, 1e9, 1.5, Number.NaN])
      await expect(auto.keep(days)).rejects.toThrow(/from 1 to 3650, or 0/);
    expect(prune).not.toHaveBeenCalled();
    expect(await countStoredEntries(store)).toBe(gen.entries.length);
  });

  it('runs one pruning at a time, the last retention set applied last', async () => {
    const cutoffs: number[] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    auto = new AutoPrune(
      async (cutoff) => {
        cutoffs.push(cutoff);
        if (cutoffs.length === 1) await first;
        return 0;
      },
      () => 100 * DAY,
    );
    const a = auto.keep(30);
    const b = auto.keep(7);
    release();
    await Promise.all([a, b]);
    expect(cutoffs).toEqual([70 * DAY, 93 * DAY]);
  });
});
