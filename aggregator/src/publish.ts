// Publishes the stats snapshot every interval and the feed of each closed 5-minute window. Several
// instances may run: a lease (a create-if-absent key per tick or window) lets exactly one of them publish
// (two, harmlessly, if their clocks are further apart than LEASE_SKEW_MS).
// Both go through JetStream so LATEST_STREAM keeps the last of each for the latest-snapshot service (a direct
// get, exported to the public's account).
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import * as v from 'valibot';
import {
  FeedMessageSchema,
  MAX_PUBLISHED_BYTES,
  StatsMessageSchema,
  WINDOW_MS,
  windowOf,
  type FeedMessage,
  type StatsMessage,
} from '../../protocol/federation.ts';
import { PROTOCOL_VERSION, SUBJECTS } from '../../protocol/subjects.ts';
import { isWrongLastSequence } from './kv-errors.ts';
import type { Metrics } from './metrics.ts';
import { LeaseSchema, decodeRollup } from './records.ts';
import { emptyRollup, feedTasks, rollupKey, type Rollup } from './rollup.ts';

/**
 * How long after a window closes its feed is published (late tasks still count, but miss the feed): monitors
 * hold each task up to 2 minutes after its window closed (web/src/lib/federation/worker/timing.ts), plus the
 * time to reach the server.
 */
export const FEED_DELAY_MS = 180_000;

export interface Publisher {
  js: JetStreamClient;
  leases: KV;
  rollups: KV;
  /** This instance's id (16 hex digits), the value of the leases it takes. */
  instance: string;
  metrics: Metrics;
  intervalMs: number;
  stats(now: number): StatsMessage;
}

/** How much earlier than its tick (or feed time) a lease may have been taken: the instances' clock skew. */
export const LEASE_SKEW_MS = 1000;

/**
 * Takes the lease `key` for a tick or feed due at `due` (epoch ms). A lease already there counts only if it
 * is one (an instance id, records.ts) and the server stored it at most LEASE_SKEW_MS before `due`: anything
 * else (not a lease, or taken in advance, as a foreign writer could for every coming tick) is skipped,
 * counted, and taken over at its revision.
 */
async function lease(p: Publisher, key: string, due: number): Promise<boolean> {
  try {
    await p.leases.create(key, p.instance);
    return true;
  } catch (error) {
    if (!isWrongLastSequence(error)) throw error;
  }
  const entry = await p.leases.get(key);
  if (entry?.operation !== 'PUT') return false;
  if (v.is(LeaseSchema, entry.string()) && entry.created.getTime() >= due - LEASE_SKEW_MS) return false;
  p.metrics.skip('leases');
  try {
    await p.leases.update(key, p.instance, entry.revision);
    return true;
  } catch (error) {
    if (isWrongLastSequence(error)) return false;
    throw error;
  }
}

async function send<T>(
  js: JetStreamClient,
  subject: string,
  schema: v.GenericSchema<unknown, T>,
  message: T,
) {
  v.parse(schema, message);
  const data = JSON.stringify(message);
  if (data.length > MAX_PUBLISHED_BYTES)
    throw new Error(`${subject}: ${data.length} bytes > ${MAX_PUBLISHED_BYTES}`);
  await js.publish(subject, data);
}

export function feedMessage(rollup: Rollup, window: string): FeedMessage {
  const tasks = feedTasks(rollup, window);
  return { v: PROTOCOL_VERSION, window, tasks, more: rollup.tasks - tasks.length };
}

/** One tick: the stats if this instance wins the tick, the feed of the last closed window if it wins it. */
export async function publishTick(p: Publisher, now: number): Promise<void> {
  const tick = Math.floor(now / p.intervalMs);
  if (await lease(p, `s.${tick}`, tick * p.intervalMs)) {
    await send(p.js, SUBJECTS.stats, StatsMessageSchema, p.stats(now));
    p.metrics.statsPublished++;
  }
  const window = windowOf(now - FEED_DELAY_MS - WINDOW_MS);
  if (await lease(p, `f.${rollupKey(window).slice(2)}`, Date.parse(window) + WINDOW_MS + FEED_DELAY_MS)) {
    const entry = await p.rollups.get(rollupKey(window));
    const live = entry?.operation === 'PUT' ? entry : undefined;
    const decoded = live ? decodeRollup(live) : undefined;
    if (live && !decoded) p.metrics.skip('rollups');
    const rollup = decoded ?? emptyRollup();
    await send(p.js, SUBJECTS.feed, FeedMessageSchema, feedMessage(rollup, window));
    p.metrics.feedsPublished++;
  }
}
