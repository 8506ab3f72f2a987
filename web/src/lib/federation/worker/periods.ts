// Sharing periods: the spans of time in which finished tasks are shared, [fromMs, toMs), open while toMs is
// null. Only a task that finished inside one is ever published, so nothing from before the opt-in, or from a
// time federation or task sharing was off, leaves, not even later.
import { DAY_MS, type FederationDb, type Period } from './federation-db.ts';

/** Bound on the stored periods, however often sharing is turned on and off. */
const MAX_PERIODS = 100;

export function inPeriods(ms: number, periods: readonly Period[]): boolean {
  return periods.some((p) => ms >= p.fromMs && (p.toMs === null || ms < p.toMs));
}

/**
 * Opens a period at `nowMs` when sharing is on and none is open, closes the open one when sharing is off,
 * forgets periods that ended more than 7 days ago; stores the periods and returns them.
 */
export async function updatePeriods(fed: FederationDb, sharing: boolean, nowMs: number): Promise<Period[]> {
  let periods = ((await fed.get('periods')) ?? []).filter(
    (p) => p.toMs === null || p.toMs > nowMs - 7 * DAY_MS,
  );
  const open = periods.find((p) => p.toMs === null);
  if (sharing && !open) periods.push({ fromMs: nowMs, toMs: null });
  if (!sharing && open) open.toMs = nowMs;
  periods = periods.slice(-MAX_PERIODS);
  await fed.set('periods', periods);
  return periods;
}
