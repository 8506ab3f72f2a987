import { describe, expect, it } from 'vitest';
import type { Entry, Status } from '../../../../../protocol/node-events.ts';
import { WriteQueue, type QueueItem } from './queue.ts';
import { entry, sleep } from '../../../../../test/support/ingest.ts';

const batch = (from: number, n: number, live = false): QueueItem => {
  const entries = Array.from({ length: n }, (_, i) => entry(from + i));
  return { type: 'entries', live, entries, cursor: entries.at(-1)!.id, size: 100 * n };
};
const status: Status = { source: 'file', state: 'live' };

/** A writer that records each write and takes `ms` per write (or fails on the write number `failAt`). */
function slowWriter(ms: number, failAt = -1) {
  const writes: { ids: string[]; cursor?: string; live?: boolean; status?: boolean }[] = [];
  let active = 0;
  let maxActive = 0;
  const step = async () => {
    maxActive = Math.max(maxActive, ++active);
    await sleep(ms);
    active--;
    if (writes.length - 1 === failAt) throw new Error('disk full');
  };
  return {
    writes,
    maxActive: () => maxActive,
    writer: {
      async entries(entries: Entry[], cursor: string | undefined, live: boolean) {
        writes.push({ ids: entries.map((e) => e.id), cursor, live });
        await step();
      },
      async status() {
        writes.push({ ids: [], status: true });
        await step();
      },
    },
  };
}

describe('WriteQueue', () => {
  it('writes in order, one write at a time, consecutive entries together up to maxWrite', async () => {
    const w = slowWriter(5);
    const q = new WriteQueue(w.writer, { maxWrite: 1000, maxEntries: 10_000, maxChars: 1e9 });
    q.push([batch(0, 500), batch(500, 500), batch(1000, 500), { type: 'status', status, size: 10 }]);
    q.push([batch(1500, 1, true)]);
    await q.drained();
    expect(w.writes.map((x) => (x.status ? 'status' : x.ids.length))).toEqual([1000, 500, 'status', 1]);
    expect(w.writes[0]!.ids[999]).toBe(entry(999).id);
    expect(w.writes[0]!.cursor).toBe(entry(999).id);
    expect(w.writes.at(-1)).toMatchObject({ live: true, cursor: entry(1500).id });
    expect(w.maxActive()).toBe(1);
  });

  it('keeps the reader waiting while more than its bounds wait (backpressure)', async () => {
    const w = slowWriter(20);
    const q = new WriteQueue(w.writer, { maxWrite: 100, maxEntries: 250, maxChars: 1e9 });
    let pushed = 0;
    let maxWaiting = 0;
    for (let i = 0; i < 20; i++) {
      await q.room();
      q.push([batch(i * 100, 100)]);
      pushed += 100;
      const written = w.writes.reduce((n, x) => n + x.ids.length, 0);
      maxWaiting = Math.max(maxWaiting, pushed - written);
    }
    await q.drained();
    expect(w.writes.reduce((n, x) => n + x.ids.length, 0)).toBe(2000);
    // At most the bound waiting, plus the batch that reached it.
    expect(maxWaiting).toBeLessThanOrEqual(350);
    // The first batch is taken at once; the second waits, and is over the character bound.
    const chars = new WriteQueue(w.writer, { maxWrite: 20, maxEntries: 1e9, maxChars: 1000 });
    chars.push([batch(0, 20), batch(20, 20)]);
    let roomy = false;
    void chars.room().then(() => (roomy = true));
    await sleep(0);
    expect(roomy).toBe(false);
    await chars.drained();
    expect(roomy).toBe(true);
  });

  it('stops at the first failed write: nothing after it is written, and waiting readers get the error', async () => {
    const w = slowWriter(1, 1);
    const failures: unknown[] = [];
    const q = new WriteQueue(w.writer, { maxWrite: 10, maxEntries: 1e9, maxChars: 1e9 }, (e) =>
      failures.push(e),
    );
    q.push([batch(0, 10), batch(10, 10), batch(20, 10)]);
    await expect(q.drained()).rejects.toThrow('disk full');
    await expect(q.room()).rejects.toThrow('disk full');
    expect(w.writes).toHaveLength(2);
    expect(failures).toHaveLength(1);
  });

  it('close() drops what waits and resolves once the write under way has ended', async () => {
    const w = slowWriter(30);
    const q = new WriteQueue(w.writer, { maxWrite: 10, maxEntries: 1e9, maxChars: 1e9 });
    q.push([batch(0, 10), batch(10, 10)]);
    expect(q.busy).toBe(true);
    await q.close();
    expect(q.busy).toBe(false);
    expect(w.writes).toHaveLength(1);
    q.push([batch(20, 10)]);
    expect(q.busy).toBe(false);
  });
});
