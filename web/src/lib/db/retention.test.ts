import { describe, expect, it } from 'vitest';
import { checkRetentionDays, retentionCutoff } from './retention.ts';

describe('checkRetentionDays', () => {
  it('takes whole days from 0 (keep all) to 3650, as typed or as numbers', () => {
    for (const [value, days] of [
      [0, 0],
      [1, 1],
      ['30', 30],
      [' 365 ', 365],
      [3650, 3650],
    ] as const)
      expect(checkRetentionDays(value)).toEqual({ days });
  });

  it('refuses negative, fractional, absurd or missing values, saying the allowed range', () => {
    for (const value of [-1, '-5', 3651, '99999', 1.5, '', 'abc', Number.NaN, Infinity, null, undefined])
      expect(checkRetentionDays(value)).toEqual({ error: expect.stringMatching(/from 1 to 3650, or 0/) });
  });
});

describe('retentionCutoff', () => {
  it('is now minus the days, or none when all is kept', () => {
    expect(retentionCutoff(2, 10 * 86_400_000)).toBe(8 * 86_400_000);
    expect(retentionCutoff(0, 10 * 86_400_000)).toBeUndefined();
  });
});
