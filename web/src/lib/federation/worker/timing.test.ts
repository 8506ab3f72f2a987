import { describe, expect, it } from 'vitest';
import { WINDOW_MS } from '../../../../../protocol/federation.ts';
import { seededRandom } from '../../../../../test/support/monitor-db.ts';
import {
  HOLD_MAX_MS,
  cryptoRandom,
  heartbeatDelay,
  nextMidnight,
  releaseMs,
  shuffle,
  uniform,
} from './timing.ts';

const start = Date.parse('2026-11-21T10:00:00Z');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('federation timing', () => {
  it('releases a task after its window closed, uniformly within the hold, whenever in the window it finished', () => {
    const random = seededRandom(1);
    const early: number[] = [];
    const late: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const finished = start + Math.floor(random() * 3_600_000);
      const windowEnd = Math.floor(finished / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
      const hold = releaseMs(finished, undefined, random) - windowEnd;
      expect(hold).toBeGreaterThanOrEqual(0);
      expect(hold).toBeLessThan(HOLD_MAX_MS);
      // A task that finished in the window's first minute, or in its last one.
      const into = finished % WINDOW_MS;
      if (into < 60_000) early.push(hold);
      if (into >= WINDOW_MS - 60_000) late.push(hold);
    }
    // The same wait after the window's end for both: the release time says nothing of the finish time.
    expect(Math.abs(mean(early) - mean(late))).toBeLessThan(3000);
    const all = [...early, ...late];
    expect(Math.abs(mean(all) - HOLD_MAX_MS / 2)).toBeLessThan(2000);
    for (let q = 0; q < 4; q++) {
      const inQuarter = all.filter((h) => Math.floor(h / (HOLD_MAX_MS / 4)) === q).length;
      expect(inQuarter / all.length).toBeGreaterThan(0.22);
      expect(inQuarter / all.length).toBeLessThan(0.28);
    }
  });

  it('with a test hold, releases a task at most that long after it finished', () => {
    const random = seededRandom(2);
    const holds = Array.from({ length: 1000 }, () => releaseMs(start, 2000, random) - start);
    expect(Math.min(...holds)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...holds)).toBeLessThanOrEqual(2000);
    expect(Math.max(...holds) - Math.min(...holds)).toBeGreaterThan(1900);
  });

  it('spaces heartbeats by 1 to 1.4 intervals, never less', () => {
    const random = seededRandom(3);
    const delays = Array.from({ length: 10_000 }, () => heartbeatDelay(60_000, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(60_000);
    expect(Math.max(...delays)).toBeLessThan(84_000);
    // Spread over the whole range, not a fixed cadence.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(23_000);
    expect(Math.abs(mean(delays) - 72_000)).toBeLessThan(500);
  });

  it('finds the next UTC midnight', () => {
    expect(nextMidnight(Date.parse('2026-11-21T23:59:59.999Z'))).toBe(Date.parse('2026-11-22T00:00:00Z'));
    expect(nextMidnight(Date.parse('2026-11-22T00:00:00Z'))).toBe(Date.parse('2026-11-23T00:00:00Z'));
  });

  it('shuffles into every order alike', () => {
    const random = seededRandom(4);
    const firsts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const order = shuffle([0, 1, 2, 3, 4], random);
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
      firsts[order[0]!]!++;
    }
    for (const n of firsts) expect(n / 10_000).toBeGreaterThan(0.18);
  });

  it('draws whole milliseconds in range, from the cryptographic generator', () => {
    const draws = Array.from({ length: 10_000 }, () => uniform(cryptoRandom, [50, 150]));
    expect(draws.every((d) => Number.isInteger(d) && d >= 50 && d < 150)).toBe(true);
    expect(new Set(draws).size).toBe(100);
  });
});
