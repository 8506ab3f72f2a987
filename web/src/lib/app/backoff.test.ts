import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the first wait up to the cap', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 1000, 15_000, () => 0.999999))).toEqual([
      1000, 2000, 4000, 8000, 15_000,
    ]);
    expect(backoffDelay(1e6, 1000, 60_000, () => 0.999999)).toBe(60_000);
  });

  it('waits between half and all of each step, so clients that lost one server spread out', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(3, 1000, 15_000, () => 0)).toBe(4000);
    expect(backoffDelay(50, 1000, 60_000, () => 0)).toBe(30_000);
    expect(backoffDelay(0, 20, 200, () => 0.5)).toBe(15);
  });
});
