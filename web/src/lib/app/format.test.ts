// Times in Los Angeles (this process's zone) and in UTC, in a German and an American browser.
process.env.TZ = 'America/Los_Angeles';
import { describe, expect, it } from 'vitest';
import { formatDate, formatTime, formatZone, setTimeZoneSource, shownTimeZone } from './format.ts';

// 23:48:12 UTC on 6 December: 15:48:12 the same day in Los Angeles (UTC−8).
const AT = Date.UTC(2026, 11, 6, 23, 48, 12);

describe('formatTime', () => {
  it('writes local time with its zone, in the order of the browser’s locale', () => {
    expect(formatTime(AT, { locale: 'de-DE' })).toBe('06.12.2026, 15:48:12 GMT-8');
    expect(formatTime(AT, { locale: 'en-US' })).toBe('12/06/2026, 03:48:12 PM PST');
    expect(formatTime(AT, { locale: 'en-GB' })).toBe('06/12/2026, 15:48:12 GMT-8');
  });

  it('writes UTC when asked, saying so', () => {
    expect(formatTime(AT, { locale: 'de-DE', timeZone: 'UTC' })).toBe('06.12.2026, 23:48:12 UTC');
    expect(formatDate(AT, { locale: 'en-US', timeZone: 'UTC' })).toBe('12/06/2026');
    expect(formatDate(AT, { locale: 'de-DE' })).toBe('06.12.2026');
  });

  it('follows the zone the settings give, for every page at once', () => {
    expect(shownTimeZone()).toBeUndefined();
    const local = formatTime(AT);
    let utc = false;
    setTimeZoneSource(() => (utc ? 'UTC' : undefined));
    expect(formatTime(AT)).toBe(local);
    expect(local).toContain(':48:12');
    expect(local).not.toContain('UTC');
    utc = true;
    expect(formatTime(AT)).toBe(formatTime(AT, { timeZone: 'UTC' }));
    expect(formatTime(AT)).toMatch(/ UTC$/);
    expect(formatZone(AT)).toBe('UTC');
    setTimeZoneSource(() => undefined);
  });

  it('gives the zone’s name at the moment: daylight saving time included', () => {
    expect(formatZone(AT, { locale: 'en-US' })).toBe('PST');
    expect(formatZone(Date.UTC(2026, 6, 1), { locale: 'en-US' })).toBe('PDT');
    expect(formatZone(AT, { locale: 'de-DE' })).toBe('GMT-8');
  });

  it('writes a dash for no time', () => {
    expect(formatTime(undefined)).toBe('–');
    expect(formatTime(Number.NaN)).toBe('–');
    expect(formatDate(undefined)).toBe('–');
  });
});
