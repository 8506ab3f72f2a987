import { describe, expect, it } from 'vitest';
import { runWhenLeader, type LockManagerLike } from './leader.ts';
import { MemoryLocks } from '../../../../../test/support/ingest.ts';

/** A "tab": runs until its controller aborts, recording when it led. */
function tab(log: string[], label: string, locks: LockManagerLike | null | undefined) {
  const controller = new AbortController();
  const done = runWhenLeader(
    'truwatch-ingest',
    async (signal) => {
      log.push(`${label} leads`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      log.push(`${label} stops`);
    },
    locks,
    controller.signal,
  );
  return { close: () => controller.abort(), done };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('runWhenLeader', () => {
  it('lets one tab lead at a time; the next waiting tab takes over when the leader closes', async () => {
    const locks = new MemoryLocks();
    const log: string[] = [];
    const a = tab(log, 'a', locks);
    const b = tab(log, 'b', locks);
    const c = tab(log, 'c', locks);
    await tick();
    expect(log).toEqual(['a leads']);
    a.close();
    await a.done;
    await tick();
    expect(log).toEqual(['a leads', 'a stops', 'b leads']);
    // A waiting tab that closes never leads, and leaves the queue.
    c.close();
    await c.done;
    b.close();
    await b.done;
    await tick();
    expect(log).toEqual(['a leads', 'a stops', 'b leads', 'b stops']);
    const d = tab(log, 'd', locks);
    await tick();
    expect(log.at(-1)).toBe('d leads');
    d.close();
    await d.done;
  });

  it('releases the lock when the leader fails, and passes the error on', async () => {
    const locks = new MemoryLocks();
    const failing = runWhenLeader('x', () => Promise.reject(new Error('boom')), locks);
    let ran = false;
    const next = runWhenLeader(
      'x',
      async () => {
        ran = true;
      },
      locks,
    );
    await expect(failing).rejects.toThrow('boom');
    await next;
    expect(ran).toBe(true);
  });

  it('does not run when aborted before, and runs at once without a lock manager', async () => {
    const controller = new AbortController();
    controller.abort();
    let runs = 0;
    await runWhenLeader('x', async () => void runs++, new MemoryLocks(), controller.signal);
    expect(runs).toBe(0);
    const log: string[] = [];
    const a = tab(log, 'a', null);
    const b = tab(log, 'b', null);
    await tick();
    expect(log).toEqual(['a leads', 'b leads']);
    a.close();
    b.close();
    await Promise.all([a.done, b.done]);
  });

  it('uses navigator.locks by default when there is one', async () => {
    const locks = new MemoryLocks();
    const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    try {
      const log: string[] = [];
      const a = tab(log, 'a', undefined);
      // tab() passes `undefined`, which selects the default: the global lock manager.
      const b = tab(log, 'b', undefined);
      await tick();
      expect(log).toEqual(['a leads']);
      a.close();
      await a.done;
      await tick();
      expect(log).toEqual(['a leads', 'a stops', 'b leads']);
      b.close();
      await b.done;
    } finally {
      if (nav) Object.defineProperty(globalThis, 'navigator', nav);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
