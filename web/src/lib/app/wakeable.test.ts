import { describe, expect, it, vi } from 'vitest';
import { Wakeable } from './wakeable.ts';

describe('Wakeable', () => {
  it('ends a pause at its time, on wake() or on abort, and says whether one was going on', async () => {
    vi.useFakeTimers();
    try {
      const w = new Wakeable();
      expect(w.wake()).toBe(false);
      let done = false;
      void w.sleep(1000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
      expect(w.wake()).toBe(false);

      const forever = w.sleep();
      expect(w.wake()).toBe(true);
      await forever;

      const stop = new AbortController();
      const aborted = w.sleep(60_000, stop.signal);
      stop.abort();
      await aborted;
      expect(w.wake()).toBe(false);
      await w.sleep(60_000, stop.signal); // already aborted: at once
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
