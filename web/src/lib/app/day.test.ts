// "A day" in Los Angeles (this process's zone) and in UTC, daylight saving changes included.
process.env.TZ = 'America/Los_Angeles';
import { describe, expect, it } from 'vitest';
import { dayOf, dayOfInput, describeDay, lastDays } from './day.ts';

const HOUR = 3_600_000;
const LA = { locale: 'de-DE' };
const UTC = { locale: 'de-DE', timeZone: 'UTC' } as const;

describe('dayOf', () => {
  it('is midnight to midnight in the zone shown', () => {
    // 23:48 UTC on 6 December is 15:48 on the 6th in Los Angeles; 01:00 UTC on the 7th is still the 6th there.
    const la = { startMs: Date.UTC(2026, 11, 6, 8), endMs: Date.UTC(2026, 11, 7, 8) };
    expect(dayOf(Date.UTC(2026, 11, 6, 23, 48), LA)).toEqual(la);
    expect(dayOf(Date.UTC(2026, 11, 7, 1), LA)).toEqual(la);
    expect(dayOf(Date.UTC(2026, 11, 7, 1), UTC)).toEqual({
      startMs: Date.UTC(2026, 11, 7),
      endMs: Date.UTC(2026, 11, 8),
    });
  });

  it('has 23 or 25 hours on the days the clocks change', () => {
    const spring = dayOf(Date.UTC(2026, 2, 8, 20), LA);
    expect(spring.endMs - spring.startMs).toBe(23 * HOUR);
    const autumn = dayOf(Date.UTC(2026, 10, 1, 20), LA);
    expect(autumn.endMs - autumn.startMs).toBe(25 * HOUR);
    const utc = dayOf(Date.UTC(2026, 2, 8, 20), UTC);
    expect(utc.endMs - utc.startMs).toBe(24 * HOUR);
  });
});

describe('lastDays', () => {
  it('gives consecutive days up to today, across a clock change', () => {
    const days = lastDays(10, Date.UTC(2026, 2, 12, 20), LA);
    expect(days).toHaveLength(10);
    expect(days.at(-1)).toEqual(dayOf(Date.UTC(2026, 2, 12, 20), LA));
    for (let i = 1; i < days.length; i++) expect(days[i]!.startMs).toBe(days[i - 1]!.endMs);
    expect(days.map((d) => d.endMs - d.startMs).filter((h) => h !== 24 * HOUR)).toEqual([23 * HOUR]);
  });
});

describe('dayOfInput', () => {
  it('reads an <input type="date"> value as that day in the zone shown', () => {
    expect(dayOfInput('2026-12-06', LA)).toEqual({
      startMs: Date.UTC(2026, 11, 6, 8),
      endMs: Date.UTC(2026, 11, 7, 8),
    });
    expect(dayOfInput('2026-12-06', UTC)).toEqual({
      startMs: Date.UTC(2026, 11, 6),
      endMs: Date.UTC(2026, 11, 7),
    });
  });

  it('names no day for what is not a date', () => {
    for (const value of ['', '06.12.2026', '2026-13-45x', 'today'])
      expect(dayOfInput(value, LA)).toBeUndefined();
  });
});

describe('describeDay', () => {
  it('says which day and zone "today" is', () => {
    const day = dayOf(Date.UTC(2026, 11, 6, 23, 48), LA);
    expect(describeDay(day, LA)).toBe('06.12.2026, midnight to midnight GMT-8');
    expect(describeDay(dayOf(Date.UTC(2026, 11, 6, 23, 48), UTC), UTC)).toBe(
      '06.12.2026, midnight to midnight UTC',
    );
  });
});
