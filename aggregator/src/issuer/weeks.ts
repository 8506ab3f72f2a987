// The issuer's key periods: weeks starting on Monday 00:00 UTC (docs/TRUST.md, "Keys").
import { keyWeekStart } from '../../../protocol/private-token.ts';
export const DAY_MS = 24 * 3600_000;
export const WEEK_MS = 7 * DAY_MS;
/** The start of the week holding `ms`. */
export { keyWeekStart as weekStart };

/** `2026-11-30` for the week starting then: how a key's week is named in file names and logs. */
export function weekName(start: number): string {
  return new Date(start).toISOString().slice(0, 10);
}
