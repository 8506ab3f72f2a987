// The one polling helper: it returns the first value that passes, reads again after a read that throws, and
// says what it waited for when it times out.
import { describe, expect, it } from 'vitest';
import { poll } from './poll.ts';

describe('poll', () => {
  it('returns the first value that passes, reading past failed reads', async () => {
    let reads = 0;
    const value = await poll(
      'the third read',
      async () => {
        reads++;
        if (reads === 1) throw new Error('not ready');
        return reads;
      },
      (n) => n >= 3,
    );
    expect(value).toBe(3);
    expect(reads).toBe(3);
  });

  it('times out saying what it waited for, with the last value and the last error', async () => {
    let reads = 0;
    const read = async () => {
      if (++reads % 2 === 0) throw new Error('a failed read');
      return { reads };
    };
    await expect(poll('a miracle', read, () => false, 250)).rejects.toThrow(
      /^timed out waiting for a miracle; last value: \{"reads":\d+\}; last error: Error: a failed read$/,
    );
  });
});
