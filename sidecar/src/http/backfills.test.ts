import { describe, expect, it } from 'vitest';
import { BackfillQueue } from './backfills.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BackfillQueue', () => {
  it('lets max streams read at once, in turns while others wait, and forgets one aborted while waiting', async () => {
    const queue = new BackfillQueue(1, 50);
    const signal = new AbortController().signal;
    const a = (await queue.begin(signal))!;
    const aborted = new AbortController();
    const b = queue.begin(aborted.signal);
    const c = queue.begin(signal);
    expect(queue.size).toEqual({ running: 1, waiting: 2 });
    aborted.abort();
    expect(await b).toBeUndefined();
    expect(queue.size).toEqual({ running: 1, waiting: 1 });

    expect(await a.next()).toBe(true); // within its turn: it goes on
    await sleep(120);
    expect(queue.size).toEqual({ running: 1, waiting: 1 }); // a's client takes what it gets: a keeps its turn
    // a's client keeps it waiting: c reads, and a waits for its next turn.
    const never = a.waitFor(new Promise(() => {}));
    const cBackfill = (await c)!;
    void never;
    const aAgain = a.next();
    expect(queue.size).toEqual({ running: 1, waiting: 1 });
    void cBackfill.waitFor(new Promise(() => {}));
    expect(await aAgain).toBe(true); // c's client keeps it waiting in turn
    cBackfill.end();
    cBackfill.end(); // ending twice gives no place back
    a.end();
    expect(queue.size).toEqual({ running: 0, waiting: 0 });
  });

  it('keeps the turn while nobody waits', async () => {
    const queue = new BackfillQueue(1, 20);
    const a = (await queue.begin(new AbortController().signal))!;
    await sleep(100);
    expect(queue.size).toEqual({ running: 1, waiting: 0 });
    expect(await a.next()).toBe(true);
    a.end();
    expect(queue.size).toEqual({ running: 0, waiting: 0 });
  });
});
