// When tokens are fetched, and how many (docs/TRUST.md, "What each part learns"): at one random moment in each
// period (a day), in fixed batches that do not follow what is spent: the week's presence tokens at once, in
// the first round of each key week, and task tokens in batches of TASK_BATCH, as many as cover the waiting tasks
// and two periods of the node's tasks beyond the stock (two rounds may be almost two periods apart). Each token
// then waits a random quarantine before use, so a message never follows its token's request, also when tasks
// waited for an empty stock; the issuer learns the node's volume only to within a batch. The first round under
// a new issuer runs soon and its quarantine is short, so counting starts.
import { keyWeekStart } from '../../../../../protocol/private-token.ts';
import type { TokenFetchState } from './federation-db.ts';
import { uniform, type Random } from './timing.ts';

/** The issuer's weekly presence allowance (14: a node's day, and a reset within a day). */
export const PRESENCE_BATCH = 14;
export const TASK_BATCH = 200;
/** At most this many task batches a round: the issuer's default allowance of a day (2 000). */
export const MAX_TASK_BATCHES = 10;
/** The first round under a new issuer: within two minutes, or a tenth of a shorter period (tests, demos). */
export const FIRST_MS = 120_000;
/** A round that could not reach the issuer is tried again after this long (within its period). */
export const RETRY_MS = [600_000, 1_800_000] as const;

/** A random moment in the period after the one holding `nowMs`. */
export function nextRound(nowMs: number, periodMs: number, random: Random): number {
  const next = (Math.floor(nowMs / periodMs) + 1) * periodMs;
  return next + uniform(random, [0, periodMs]);
}

/** The state under a new issuer: no stock, a first round soon. */
export function firstRound(issuer: string, nowMs: number, periodMs: number, random: Random): TokenFetchState {
  const nextMs = nowMs + uniform(random, [0, Math.min(FIRST_MS, periodMs / 10)]);
  return { issuer, nextMs, presenceWeekMs: null };
}

/**
 * How long the tokens of a round wait before use (one draw for the round, so that its first token is not
 * released at a fixed time after it): of a day, 30 minutes to 4 hours; after the first round under an issuer
 * (an empty stock), up to 5 minutes.
 */
export function quarantineMs(periodMs: number, first: boolean, random: Random): number {
  const range: [number, number] = first ? [0, periodMs / 288] : [periodMs / 48, periodMs / 6];
  return uniform(random, range);
}

/** The task tokens a stock should hold after a round: the waiting tasks', and two periods of tasks. */
export function tasksWanted(pending: number, lastPeriod: number): number {
  return pending + 2 * lastPeriod;
}

/**
 * The presence tokens this round fetches: the week's PRESENCE_BATCH in the first round of each key week, and
 * what a round cut short did not get.
 */
export function presenceWanted(state: TokenFetchState, nowMs: number): number {
  if (state.presenceWeekMs !== keyWeekStart(nowMs)) return PRESENCE_BATCH;
  return Math.max(0, PRESENCE_BATCH - (state.presenceGot ?? PRESENCE_BATCH));
}

/**
 * A round found overdue (the app was closed, the machine slept, a round was cut short) runs at a random moment of
 * the coming period, not at once: at once it would follow the app's start and its connection. The first round
 * under an issuer is not put off.
 */
export function putOff(
  state: TokenFetchState,
  nowMs: number,
  periodMs: number,
  random: Random,
): TokenFetchState {
  if (state.nextMs > nowMs || state.presenceWeekMs === null) return state;
  return { ...state, nextMs: nowMs + uniform(random, [0, periodMs]) };
}

/** The task batches to fetch: enough for `wanted` tasks (tasksWanted) beyond the `stock`. */
export function taskBatches(wanted: number, stock: number): number {
  return Math.min(MAX_TASK_BATCHES, Math.max(0, Math.ceil((wanted - stock) / TASK_BATCH)));
}
