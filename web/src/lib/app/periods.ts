// Weeks and months as every page means them, built from days (day.ts): midnight to midnight in the zone times
// are shown in. A week starts on Monday (ISO 8601) whatever the browser's locale: one rule, so the dashboard, the
// Invoices page and an exported figure always agree, and browsers that cannot say a locale's first weekday
// (Intl.Locale weekInfo is missing in some) give the same weeks as those that can. A week or month holding a
// daylight saving change is an hour shorter or longer.
import { dayOf, lastDays, type Day } from './day.ts';
import { formatDate, shownTimeZone, type TimeOptions } from './format.ts';

export type PeriodUnit = 'day' | 'week' | 'month';
export const PERIOD_UNITS: readonly PeriodUnit[] = ['day', 'week', 'month'];

const utc = (options?: TimeOptions) => (options ? options.timeZone : shownTimeZone()) === 'UTC';

/** Midnight starting a calendar date (months and days may overflow, as Date's do) in the zone shown. */
function midnight(y: number, m: number, d: number, options?: TimeOptions): number {
  return utc(options) ? Date.UTC(y, m, d) : new Date(y, m, d).getTime();
}

/** The calendar date a moment falls on in the zone shown. */
function dateOf(ms: number, options?: TimeOptions): { y: number; m: number; d: number; weekday: number } {
  const t = new Date(ms);
  return utc(options)
    ? { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate(), weekday: t.getUTCDay() }
    : { y: t.getFullYear(), m: t.getMonth(), d: t.getDate(), weekday: t.getDay() };
}

/** The week (Monday to Monday) a moment falls in. */
export function weekOf(ms: number, options?: TimeOptions): Day {
  const { y, m, d, weekday } = dateOf(dayOf(ms, options).startMs, options);
  const monday = d - ((weekday + 6) % 7);
  return { startMs: midnight(y, m, monday, options), endMs: midnight(y, m, monday + 7, options) };
}

/** The calendar month a moment falls in. */
export function monthOf(ms: number, options?: TimeOptions): Day {
  const { y, m } = dateOf(dayOf(ms, options).startMs, options);
  return { startMs: midnight(y, m, 1, options), endMs: midnight(y, m + 1, 1, options) };
}

export function periodOf(unit: PeriodUnit, ms: number, options?: TimeOptions): Day {
  return unit === 'day' ? dayOf(ms, options) : unit === 'week' ? weekOf(ms, options) : monthOf(ms, options);
}

/** The `count` periods up to and including the one of `nowMs`, oldest first, each ending where the next starts. */
export function lastPeriods(unit: PeriodUnit, count: number, nowMs: number, options?: TimeOptions): Day[] {
  if (unit === 'day') return lastDays(count, nowMs, options);
  const out: Day[] = [];
  let period = periodOf(unit, nowMs, options);
  for (let i = 0; i < count; i++) {
    out.push(period);
    // The middle of the day before: safe across a 23- or 25-hour day.
    period = periodOf(unit, period.startMs - 12 * 3_600_000, options);
  }
  return out.reverse();
}

/** What a table row says of a period: its first day, and for a week "week of …", for a month its first day too. */
export function describePeriod(unit: PeriodUnit, period: Day, options?: TimeOptions): string {
  const first = formatDate(period.startMs, options);
  return unit === 'day' ? first : unit === 'week' ? `week of ${first}` : `month of ${first}`;
}
