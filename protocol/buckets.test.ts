import { describe, expect, it } from 'vitest';
import { DURATION, MEMORY, SLOTS, STEPS, TASKS_24H, UNKNOWN, type Ladder } from './buckets.ts';

const MIB = 1024 * 1024;

/** [value, expected label] at both sides of every boundary of each ladder. */
const CASES: [string, Ladder<string>, [number, string][]][] = [
  [
    'duration',
    DURATION,
    [
      [0, '<1s'],
      [999.9, '<1s'],
      [1000, '1-5s'],
      [4999, '1-5s'],
      [5000, '5-30s'],
      [29_999, '5-30s'],
      [30_000, '30s-2m'],
      [119_999, '30s-2m'],
      [120_000, '2-10m'],
      [599_999, '2-10m'],
      [600_000, '10m+'],
      [1e12, '10m+'],
    ],
  ],
  [
    'steps',
    STEPS,
    [
      [0, '<1M'],
      [999_999, '<1M'],
      [1e6, '1M-10M'],
      [1e7 - 1, '1M-10M'],
      [1e7, '10M-100M'],
      [1e8 - 1, '10M-100M'],
      [1e8, '100M-1B'],
      [1e9 - 1, '100M-1B'],
      [1e9, '1B-10B'],
      [1e10 - 1, '1B-10B'],
      [1e10, '10B+'],
    ],
  ],
  [
    'memory',
    MEMORY,
    [
      [0, '<16MiB'],
      [16 * MIB - 1, '<16MiB'],
      [16 * MIB, '16-64MiB'],
      [64 * MIB - 1, '16-64MiB'],
      [64 * MIB, '64-256MiB'],
      [256 * MIB - 1, '64-256MiB'],
      [256 * MIB, '256MiB-1GiB'],
      [1024 * MIB - 1, '256MiB-1GiB'],
      [1024 * MIB, '1GiB+'],
    ],
  ],
  [
    'slots',
    SLOTS,
    [
      [0, '0'],
      [1, '1'],
      [2, '2-4'],
      [4, '2-4'],
      [5, '5-8'],
      [8, '5-8'],
      [9, '9+'],
    ],
  ],
  [
    'tasks24h',
    TASKS_24H,
    [
      [0, '0'],
      [1, '1-9'],
      [9, '1-9'],
      [10, '10-99'],
      [99, '10-99'],
      [100, '100-999'],
      [999, '100-999'],
      [1000, '1000+'],
    ],
  ],
];

describe('bucket ladders', () => {
  for (const [name, ladder, cases] of CASES) {
    it(`${name}: every boundary falls in the upper bucket`, () => {
      for (const [value, expected] of cases) expect([value, ladder.label(value)]).toEqual([value, expected]);
    });
    it(`${name}: every label is reachable and missing or invalid values are unknown`, () => {
      const reached = new Set(cases.map(([, label]) => label));
      expect([...reached, UNKNOWN].sort()).toEqual([...ladder.labels].sort());
      for (const bad of [undefined, null, NaN, -1, Infinity]) expect(ladder.label(bad)).toBe(UNKNOWN);
    });
  }
});
