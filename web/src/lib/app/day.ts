// What "a day" is on every page: midnight to midnight in the zone times are shown in (the browser's, or UTC when
// Settings say so; format.ts). "Today" on the dashboard, the Invoices page's days and the Tasks page's date
// filters are all these days, and the pages say which zone they are in. A local day is not always 24 hours: a
// daylight saving change makes it 23 or 25.
import { formatDate, formatZone, shownTimeZone, type TimeOptions } from './format.ts';

export interface Day {
  /** The day's first millisecond, and the next day's: [startMs, endMs). */
  startMs: number;
  endMs: number;
}

const utc = (options?: TimeOptions) => (options ? options.timeZone : shownTimeZone()) === 'UTC';

/** The day a moment falls in. */
export function dayOf(ms: number, options?: TimeOptions): Day {
  const d = new Date(ms);
  if (utc(options)) {
    const startMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { startMs, endMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) };
  }
  const startMs = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return { startMs, endMs: new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() };
}

/** The `count` days up to and including the day of `nowMs`, oldest first. */
export function lastDays(count: number, nowMs: number, options?: TimeOptions): Day[] {
  const days: Day[] = [];
  let day = dayOf(nowMs, options);
  for (let i = 0; i < count; i++) {
    days.push(day);
    // The middle of the day before: safe across a 23- or 25-hour day.
    day = dayOf(day.startMs - 12 * 3_600_000, options);
  }
  return days.reverse();
}

/**
 * The day an `<input type="date">` names (its value is always `YYYY-MM-DD`, whatever the locale shows), or
 * undefined when it names none.
 */
export function dayOfInput(value: string, options?: TimeOptions): Day | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  // Noon of that day: in the day whatever the zone's offset.
  const noon = utc(options) ? Date.UTC(y, m, d, 12) : new Date(y, m, d, 12).getTime();
  return Number.isNaN(noon) ? undefined : dayOf(noon, options);
}

/** What a page says of a day: "06.12.2026, midnight to midnight GMT-8". */
export function describeDay(day: Day, options?: TimeOptions): string {
  return `${formatDate(day.startMs, options)}, midnight to midnight ${formatZone(day.startMs, options)}`;
}
