import { describe, expect, it } from 'vitest';
import { BackfillQueue } from './backfills.ts';

describe('BackfillQueue', () => {
  it('runs at most max backfills, starts the next in order when one ends, and forgets one aborted while waiting', async () => {
    const queue = new BackfillQueue(2);
    const signal = new AbortController().signal;
    const a = await queue.start(signal);
    const b = await queue.start(signal);
    const aborted = new AbortController();
    const c = queue.start(aborted.signal);
    const started: string[] = [];
    const d = queue.start(signal).then((end) => (started.push('d'), end));
    expect(queue.size).toEqual({ running: 2, waiting: 2 });
    aborted.abort();
    expect(await c).toBeUndefined();
    expect(queue.size).toEqual({ running: 2, waiting: 1 });
    a!();
    a!(); // ending twice frees one place only
    const endD = await d;
    expect(started).toEqual(['d']);
    expect(queue.size).toEqual({ running: 2, waiting: 0 });
    b!();
    endD!();
    expect(queue.size).toEqual({ running: 0, waiting: 0 });
  });
});
