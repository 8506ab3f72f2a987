// One 5-minute window of counted tasks, as kept in the rollups bucket, and how a task is added to it.
// `applied` makes counting exactly-once across a crash: the ingest stream sequences of the batches written
// into this window whose messages may not be acknowledged yet (see count-tasks.ts); they are pruned once the
// consumer's ack floor has passed them, since a message acknowledged on a work queue is never redelivered.
import { MAX_FEED_TASKS, type FeedTask, type TaskMessage } from '../../protocol/federation.ts';
import type { Runs } from './ranges.ts';

/** The most distinct chains one window counts by name; the rest are counted as `other`. */
export const MAX_WINDOW_CHAINS = 31;

export type Counts = Record<string, number>;

export interface Rollup {
  tasks: number;
  outcomes: Counts;
  kinds: Counts;
  chains: Counts;
  duration: Counts;
  steps: Counts;
  memory: Counts;
  cached: number;
  /** The first MAX_FEED_TASKS tasks of the window, as [chain, kind, outcome, duration, steps, memory, cached]. */
  feed: [string, string, string, string, string, string, 0 | 1][];
  applied: Runs;
}

export function emptyRollup(): Rollup {
  return {
    tasks: 0,
    outcomes: {},
    kinds: {},
    chains: {},
    duration: {},
    steps: {},
    memory: {},
    cached: 0,
    feed: [],
    applied: [],
  };
}

/** `2026-11-21T10:35:00Z` → `w.20261121T1035` (KV keys allow no colon). */
export function rollupKey(window: string): string {
  return `w.${window.slice(0, 4)}${window.slice(5, 7)}${window.slice(8, 10)}T${window.slice(11, 13)}${window.slice(14, 16)}`;
}

/** The window start (epoch ms) of a rollup key, or NaN for another key. */
export function windowOfKey(key: string): number {
  const m = /^w\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : NaN;
}

const add = (counts: Counts, label: string, n = 1) => (counts[label] = (counts[label] ?? 0) + n);

/** Counts one task into the window (in place). */
export function addTask(rollup: Rollup, task: TaskMessage): void {
  rollup.tasks++;
  add(rollup.outcomes, task.outcome);
  add(rollup.kinds, task.kind);
  const known = task.chain in rollup.chains || Object.keys(rollup.chains).length < MAX_WINDOW_CHAINS;
  add(rollup.chains, known ? task.chain : 'other');
  add(rollup.duration, task.duration);
  add(rollup.steps, task.steps);
  add(rollup.memory, task.memory);
  if (task.cached) rollup.cached++;
  if (rollup.feed.length < MAX_FEED_TASKS)
    rollup.feed.push([
      task.chain,
      task.kind,
      task.outcome,
      task.duration,
      task.steps,
      task.memory,
      task.cached ? 1 : 0,
    ]);
}

/** The feed tasks of a window, in the feed message's shape. */
export function feedTasks(rollup: Rollup, window: string): FeedTask[] {
  return rollup.feed.map(([chain, kind, outcome, duration, steps, memory, cached]) => ({
    window,
    chain,
    kind,
    outcome,
    duration,
    steps,
    memory,
    cached: cached === 1,
  })) as FeedTask[];
}

/** Adds every count of `from` into `into` (in place), for sums over many windows. */
export function addCounts(into: Counts, from: Counts): void {
  for (const [label, n] of Object.entries(from)) add(into, label, n);
}
