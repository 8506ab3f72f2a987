// Sharing periods: the spans of time in which finished tasks (or the node's presence: heartbeats and activity
// reports) are shared, [fromMs, toMs), open while toMs is
// null. Only a task that finished inside one is ever published. A period opens when sharing starts and closes
// when it stops; the one an opt-in opens starts 7 days earlier when the operator chose "Share the last 7 days
// too" (also the choice ENABLE_FEDERATION=true stands for), so the node's recent week is shared once. Any other
// opening (task sharing turned on again while federation stays on) starts then: what was off stays unshared.
import { inTransaction } from '../../db/idb.ts';
import type { FederationSettings, OptIn } from '../settings.ts';
import { KEEP_MS, type FederationDb, type Period } from './federation-db.ts';

/** Bound on the stored periods, however often sharing is turned on and off. */
const MAX_PERIODS = 100;

export function inPeriods(ms: number, periods: readonly Period[]): boolean {
  return periods.some((p) => ms >= p.fromMs && (p.toMs === null || ms < p.toMs));
}

/** The periods, and the opt-in (its atMs) they took into account: each opt-in reaches back once at most. */
export interface Sharing {
  periods: Period[];
  optedIn: number | undefined;
}

/**
 * The sharing after an update at `nowMs`: a period opens when `sharing` starts, the open one closes when it
 * stops, periods that ended more than 7 days ago are forgotten. The first update that sees an opt-in is the
 * opt-in's own: the period it opens reaches 7 days back if the operator chose so.
 */
export function nextSharing(
  prev: Sharing,
  now: { sharing: boolean; optIn: OptIn | null },
  nowMs: number,
): Sharing {
  const periods = prev.periods
    .filter((p) => p.toMs === null || p.toMs > nowMs - KEEP_MS)
    .map((p) => ({ ...p }));
  const open = periods.find((p) => p.toMs === null);
  const reachBack = now.optIn !== null && now.optIn.atMs !== prev.optedIn && now.optIn.pastWeek;
  if (now.sharing && !open) periods.push({ fromMs: reachBack ? nowMs - KEEP_MS : nowMs, toMs: null });
  if (!now.sharing && open) open.toMs = nowMs;
  return { periods: periods.slice(-MAX_PERIODS), optedIn: now.optIn?.atMs ?? prev.optedIn };
}

/**
 * What each kind of sharing follows: tasks the "Share finished tasks" choice, presence (heartbeats and activity
 * reports) the heartbeat choice; each keeps its own periods and its own note of the opt-in it applied.
 */
const KINDS = {
  tasks: { flag: 'shareTasks', periods: 'periods', optedIn: 'optedIn' },
  presence: { flag: 'shareHeartbeat', periods: 'presencePeriods', optedIn: 'presenceOptedIn' },
} as const;

/** Applies the settings in force to the stored periods of `kind` at `nowMs`; stores and returns them. */
export async function updatePeriods(
  fed: FederationDb,
  settings: Pick<FederationSettings, 'enabled' | 'shareTasks' | 'shareHeartbeat' | 'optIn'>,
  nowMs: number,
  kind: keyof typeof KINDS = 'tasks',
): Promise<Period[]> {
  const keys = KINDS[kind];
  const prev: Sharing = {
    periods: (await fed.get(keys.periods)) ?? [],
    optedIn: await fed.get(keys.optedIn),
  };
  const sharing = settings.enabled && settings[keys.flag];
  const { periods, optedIn } = nextSharing(prev, { sharing, optIn: settings.optIn }, nowMs);
  await inTransaction(fed.db.transaction('meta', 'readwrite'), async (tx) => {
    await tx.store.put({ key: keys.periods, value: periods });
    if (optedIn !== undefined) await tx.store.put({ key: keys.optedIn, value: optedIn });
  });
  return periods;
}

/** Whether federation was on before in this browser: turning it on again is a re-enable. */
export async function wasOn(fed: FederationDb): Promise<boolean> {
  return (await fed.get('optedIn')) !== undefined || ((await fed.get('periods')) ?? []).length > 0;
}
