import { describe, expect, it } from 'vitest';
import { SettledFloor } from './settled-floor.ts';

describe('SettledFloor', () => {
  it('gives the floor read at least the settle time ago, never a newer one', () => {
    const floor = new SettledFloor(60_000);
    floor.observe(100, 0);
    expect(floor.value).toBe(0);
    floor.observe(200, 30_000);
    floor.observe(300, 59_999);
    expect(floor.value).toBe(0);
    floor.observe(350, 60_000);
    expect(floor.value).toBe(100);
    floor.observe(400, 90_000);
    expect(floor.value).toBe(200);
    // A floor read lower after a crash does not take the settled one back.
    floor.observe(50, 150_000);
    expect(floor.value).toBe(400);
  });

  it('keeps at most 1000 samples', () => {
    const floor = new SettledFloor(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 5000; i++) floor.observe(i, i);
    expect(floor.value).toBe(0);
  });
});
