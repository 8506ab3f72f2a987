// The issuer's key periods: weeks starting on Monday 00:00 UTC (docs/TRUST.md, "Keys").
export const DAY_MS = 24 * 3600_000;
export const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05, the first Monday after the epoch. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** The start of the week holding `ms`. */
export function weekStart(ms: number): number {
  return Math.floor((ms - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS;
}

/** `2026-11-30` for the week starting then: how a key's week is named in file names and logs. */
export function weekName(start: number): string {
  return new Date(start).toISOString().slice(0, 10);
}
