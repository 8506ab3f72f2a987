// Weeks and months in Los Angeles (this process's zone) and in UTC, daylight saving changes included.
process.env.TZ = 'America/Los_Angeles';
import { describe, expect, it } from 'vitest';
import { dayOf } from './day.ts';
import { lastPeriods, monthOf, weekOf } from './periods.ts';

const HOUR = 3_600_000;
const LA = { locale: 'de-DE' };
const UTC = { locale: 'de-DE', timeZone: 'UTC' } as const;
const laMidnight = (y: number, m: number, d: number) => new Date(y, m, d).getTime();

describe('weekOf', () => {
  it('runs Monday midnight to Monday midnight in the zone shown', () => {
    // Sunday 8 March 2026, 20:00 UTC is noon in Los Angeles: the week of Monday 2 March.
    expect(weekOf(Date.UTC(2026, 2, 8, 20), LA)).toEqual({
      startMs: laMidnight(2026, 2, 2),
      endMs: laMidnight(2026, 2, 9),
    });
    // Monday 9 March 03:00 UTC is still Sunday in Los Angeles, already Monday in UTC.
    expect(weekOf(Date.UTC(2026, 2, 9, 3), LA).startMs).toBe(laMidnight(2026, 2, 2));
    expect(weekOf(Date.UTC(2026, 2, 9, 3), UTC)).toEqual({
      startMs: Date.UTC(2026, 2, 9),
      endMs: Date.UTC(2026, 2, 16),
    });
  });

  it('is an hour short across the spring change, an hour long across the autumn one', () => {
    const spring = weekOf(Date.UTC(2026, 2, 8, 20), LA);
    expect(spring.endMs - spring.startMs).toBe(7 * 24 * HOUR - HOUR);
    const autumn = weekOf(Date.UTC(2026, 10, 1, 20), LA);
    expect(autumn.endMs - autumn.startMs).toBe(7 * 24 * HOUR + HOUR);
  });
});

describe('monthOf', () => {
  it('is the calendar month in the zone shown', () => {
    // 1 April 2026 03:00 UTC is still 31 March in Los Angeles.
    expect(monthOf(Date.UTC(2026, 3, 1, 3), LA)).toEqual({
      startMs: laMidnight(2026, 2, 1),
      endMs: laMidnight(2026, 3, 1),
    });
    expect(monthOf(Date.UTC(2026, 3, 1, 3), UTC)).toEqual({
      startMs: Date.UTC(2026, 3, 1),
      endMs: Date.UTC(2026, 4, 1),
    });
    const march = monthOf(Date.UTC(2026, 2, 15), LA);
    expect(march.endMs - march.startMs).toBe(31 * 24 * HOUR - HOUR);
  });
});

describe('lastPeriods', () => {
  it.each(['day', 'week', 'month'] as const)('gives consecutive %ss up to the current one', (unit) => {
    const now = Date.UTC(2026, 2, 12, 20);
    const periods = lastPeriods(unit, 8, now, LA);
    expect(periods).toHaveLength(8);
    for (let i = 1; i < periods.length; i++) expect(periods[i]!.startMs).toBe(periods[i - 1]!.endMs);
    const last = periods.at(-1)!;
    expect(now).toBeGreaterThanOrEqual(last.startMs);
    expect(now).toBeLessThan(last.endMs);
    // Each starts at a midnight of the zone.
    for (const p of periods) expect(dayOf(p.startMs, LA).startMs).toBe(p.startMs);
  });
});
