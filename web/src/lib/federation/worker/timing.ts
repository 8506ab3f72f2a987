// When federation messages leave, so that their arrival times tell the server no more than their content: a
// task only after its 5-minute window closed plus a random hold, at random moments, in shuffled batches; a
// heartbeat never sooner than the configured interval and at a random time after it; a connection never
// carries two UTC days (docs/FEDERATION.md, "When messages leave"). Every function takes its randomness, so
// tests give a seeded one; the app gives cryptoRandom.
import { WINDOW_MS } from '../../../../../protocol/federation.ts';
import { HEARTBEAT_SPREAD } from '../settings.ts';
import { DAY_MS } from './federation-db.ts';

/** A uniform number in [0, 1). */
export type Random = () => number;

/** After its window closed, a task waits a random time below this before it may leave. */
export const HOLD_MAX_MS = 120_000;
/** A new connection's first task waits this long (random within): a backlog does not follow its first heartbeat. */
export const START_MS = [1000, 30_000] as const;
/** Between two looks for due tasks while nothing is being drained (random within). */
export const IDLE_MS = [2000, 10_000] as const;
/** Between two full batches of a backlog (random within): on average 10 batches a second. */
export const PACE_MS = [50, 150] as const;
/** After a UTC midnight, the day's connection is replaced this long later (random within). */
export const RENEW_MS = [5000, 60_000] as const;

/** Uniform in [0, 1) from the platform's cryptographic generator. */
export const cryptoRandom: Random = () => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;

/** A whole number of milliseconds in [lo, hi). */
export function uniform(random: Random, [lo, hi]: readonly [number, number]): number {
  return lo + Math.floor(random() * (hi - lo));
}

/**
 * When a task that finished at `finishedMs` may leave: a random time (below HOLD_MAX_MS) after its window closed;
 * with a test hold (`holdMs`, FEDERATION_TASK_HOLD_SECONDS), a random time up to that after it finished.
 */
export function releaseMs(finishedMs: number, holdMs: number | undefined, random: Random): number {
  if (holdMs !== undefined) return finishedMs + uniform(random, [0, holdMs + 1]);
  const windowEnd = Math.floor(finishedMs / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
  return windowEnd + uniform(random, [0, HOLD_MAX_MS]);
}

/** How long after a heartbeat the next one goes: never sooner than the interval. */
export function heartbeatDelay(intervalMs: number, random: Random): number {
  return uniform(random, [intervalMs, Math.round(intervalMs * HEARTBEAT_SPREAD)]);
}

/** The UTC day `ms` is in, as a number. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The first UTC midnight after `ms`. */
export function nextMidnight(ms: number): number {
  return (utcDay(ms) + 1) * DAY_MS;
}

/** A shuffled copy (Fisher–Yates). */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
