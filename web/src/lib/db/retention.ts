// How long log entries are kept: the one rule the Settings page checks and the monitor database's worker applies
// (ingest/worker/auto-prune.ts). Tasks and invoices are always kept.
// Not derive.ts's: that one would bring the contract's schemas into every page that checks a setting.
const DAY_MS = 86_400_000;

export const RETENTION_MAX_DAYS = 3650;
export const DEFAULT_RETENTION_DAYS = 30;

/** Whole days from 0 (keep all) to RETENTION_MAX_DAYS; anything else is refused with the sentence saying why. */
export function checkRetentionDays(value: unknown): { days: number } | { error: string } {
  const days = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > RETENTION_MAX_DAYS)
    return {
      error: `Keep log entries for a whole number of days from 1 to ${RETENTION_MAX_DAYS}, or 0 to keep them all (not ${JSON.stringify(value)}).`,
    };
  return { days };
}

/** The entries older than this are pruned; undefined: keep all. */
export function retentionCutoff(days: number, nowMs: number): number | undefined {
  return days > 0 ? nowMs - days * DAY_MS : undefined;
}
