import { describe, expect, it } from 'vitest';
import { STALLED_AFTER_MS, StreamSlots, type DropReason } from './streams.ts';

/** A connection whose writes finish only when the test says so. */
function connection() {
  const waiting: Array<() => void> = [];
  const closed: DropReason[] = [];
  return {
    closed,
    write: () => new Promise<void>((resolve) => waiting.push(resolve)),
    take: () => waiting.splice(0).forEach((resolve) => resolve()),
    close: (reason: DropReason) => closed.push(reason),
  };
}

describe('StreamSlots', () => {
  it('always gives a slot: when full, the newcomer takes the stalled one, else the oldest', () => {
    let now = 0;
    const slots = new StreamSlots(3, 60_000, () => now);
    const a = connection();
    const b = connection();
    const c = connection();
    slots.take(a.write, a.close);
    const slotB = slots.take(b.write, b.close);
    slots.take(c.write, c.close);
    void slotB.write('x'); // b's client reads nothing
    now += STALLED_AFTER_MS;
    const d = connection();
    slots.take(d.write, d.close);
    expect(b.closed).toEqual(['evicted']);
    expect(slotB.signal.aborted).toBe(true);
    expect(slots.size).toBe(3);
    // Nobody stalled: the oldest goes.
    slots.take(connection().write, () => {});
    expect(a.closed).toEqual(['evicted']);
    expect(c.closed).toEqual([]);
    expect(slots.dropped).toEqual({ stalled: 0, evicted: 2 });
  });

  it('drops a stream whose writes make no progress for stallMs, not one that drains slowly', async () => {
    const slots = new StreamSlots(16, 100);
    const slow = connection();
    const stuck = connection();
    const slowSlot = slots.take(slow.write, slow.close);
    const stuckSlot = slots.take(stuck.write, stuck.close);
    void stuckSlot.write('x');
    const writes = [];
    for (let i = 0; i < 6; i++) {
      writes.push(slowSlot.write('x'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      slow.take();
    }
    await Promise.all(writes);
    expect(stuck.closed).toEqual(['stalled']);
    expect(slow.closed).toEqual([]);
    expect(slots.size).toBe(1);
    slowSlot.release();
    expect(slots.size).toBe(0);
  });
});
