// One 5-minute window of counted tasks, as kept in the rollups bucket, and how a task is added to it.
// `applied` makes counting exactly-once across a crash: the ingest stream sequences of the batches written
// into this window whose messages may not be acknowledged yet (see count-tasks.ts); they are pruned once the
// consumer's ack floor has passed them, since a message acknowledged on a work queue is never redelivered.
//
// Its bounded parts go to what is most common, never to what comes first, so traffic sent ahead cannot take
// them (aggregator/README.md, "Limits"):
// - chain cells: the chains with the most tasks. A space-saving sketch (`sketch`, CHAIN_SKETCH_SIZE counters)
//   follows every chain of the window; a chain counted in `other` takes the cell of the smallest named chain
//   once its guaranteed count (sketch count − error, never more than its true count) is larger. The smaller
//   chain's count moves to `other`, the promoted chain's guaranteed count moves out of it: the sum of the
//   cells is always the window's task count, and a named cell never counts more tasks than its chain had.
// - feed: a uniform sample, the MAX_FEED_TASKS tasks of the window with the smallest priority, an HMAC of
//   the task key under a secret only the aggregator knows (feedPriority). The sample does not depend on the
//   order tasks arrive in, a sender cannot choose keys that win, and counting a task twice changes nothing.
import { createHmac } from 'node:crypto';
import { MAX_FEED_TASKS, OTHER, type FeedTask, type TaskMessage } from '../../protocol/federation.ts';
import type { Runs } from './ranges.ts';

/** The most distinct chains one window counts by name; the rest are counted as `other`. */
export const MAX_WINDOW_CHAINS = 31;
/** Counters of the chain sketch: a chain with more than 1/64 of the window's tasks is always in it. */
export const CHAIN_SKETCH_SIZE = 64;

export type Counts = Record<string, number>;

/** A feed task: [chain, kind, outcome, duration, steps, memory, cached, priority] (no priority: written before
 * there was one, last in line). */
export type FeedEntry = [string, string, string, string, string, string, 0 | 1, number?];

export interface Rollup {
  tasks: number;
  outcomes: Counts;
  kinds: Counts;
  chains: Counts;
  duration: Counts;
  steps: Counts;
  memory: Counts;
  cached: number;
  /** Space-saving counters of the window's chains: [chain, count, error] (absent in older records). */
  sketch?: [string, number, number][];
  /** The MAX_FEED_TASKS tasks of the window with the smallest priority, in priority order. */
  feed: FeedEntry[];
  applied: Runs;
}

/** A task's feed priority: 48 bits of HMAC-SHA-256(secret, key), unpredictable without the secret. */
export function feedPriority(secret: string): (key: string) => number {
  return (key) => createHmac('sha256', secret).update(key).digest().readUIntBE(0, 6);
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
    sketch: [],
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

/** Space-saving: counts `chain`, taking the counter of the smallest count when all are in use. */
function sketchChain(rollup: Rollup, chain: string): [string, number, number] {
  const sketch = (rollup.sketch ??= []);
  let entry = sketch.find((e) => e[0] === chain);
  if (entry) entry[1]++;
  else if (sketch.length < CHAIN_SKETCH_SIZE) sketch.push((entry = [chain, 1, 0]));
  else {
    entry = sketch.reduce((min, e) => (e[1] < min[1] ? e : min));
    entry[0] = chain;
    entry[2] = entry[1];
    entry[1]++;
  }
  return entry;
}

function countChain(rollup: Rollup, chain: string): void {
  const [, count, error] = sketchChain(rollup, chain);
  const chains = rollup.chains;
  if (Object.hasOwn(chains, chain)) return void chains[chain]!++;
  const named = Object.keys(chains).filter((label) => label !== OTHER);
  if (named.length < MAX_WINDOW_CHAINS) return void (chains[chain] = 1);
  const other = add(chains, OTHER);
  // The smallest named cell (ties: the last label), and whether this chain has surely had more tasks.
  const smallest = named.reduce((a, b) =>
    chains[b]! < chains[a]! || (chains[b] === chains[a] && b > a) ? b : a,
  );
  const guaranteed = Math.min(count - error, other);
  if (guaranteed <= chains[smallest]!) return;
  chains[OTHER] = other - guaranteed + chains[smallest]!;
  delete chains[smallest];
  chains[chain] = guaranteed;
  if (chains[OTHER] === 0) delete chains[OTHER];
}

function sampleFeed(rollup: Rollup, entry: FeedEntry, priority: number): void {
  const feed = rollup.feed;
  const rank = (e: FeedEntry) => e[7] ?? Number.MAX_SAFE_INTEGER;
  if (feed.length >= MAX_FEED_TASKS && priority >= rank(feed[feed.length - 1]!)) return;
  let lo = 0;
  let hi = feed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rank(feed[mid]!) < priority) lo = mid + 1;
    else hi = mid;
  }
  if (lo < feed.length && rank(feed[lo]!) === priority) return; // this task, counted again
  feed.splice(lo, 0, entry);
  if (feed.length > MAX_FEED_TASKS) feed.pop();
}

/** Counts one task into the window (in place); `priority` is its feedPriority. */
export function addTask(rollup: Rollup, task: TaskMessage, priority: number): void {
  rollup.tasks++;
  add(rollup.outcomes, task.outcome);
  add(rollup.kinds, task.kind);
  countChain(rollup, task.chain);
  add(rollup.duration, task.duration);
  add(rollup.steps, task.steps);
  add(rollup.memory, task.memory);
  if (task.cached) rollup.cached++;
  sampleFeed(
    rollup,
    [
      task.chain,
      task.kind,
      task.outcome,
      task.duration,
      task.steps,
      task.memory,
      task.cached ? 1 : 0,
      priority,
    ],
    priority,
  );
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
