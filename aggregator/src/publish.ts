// Publishes the stats snapshot every interval and the feed of each closed 5-minute window. Several
// instances may run: a lease (a create-if-absent key per tick or window) lets exactly one of them publish.
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
import { emptyRollup, feedTasks, rollupKey, type Rollup } from './rollup.ts';

/** How long after a window closes its feed is published (late tasks still count, but miss the feed). */
export const FEED_DELAY_MS = 30_000;

export interface Publisher {
  js: JetStreamClient;
  leases: KV;
  rollups: KV;
  metrics: Metrics;
  intervalMs: number;
  stats(now: number): StatsMessage;
}

async function lease(leases: KV, key: string): Promise<boolean> {
  try {
    await leases.create(key, '1');
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
  if (await lease(p.leases, `s.${Math.floor(now / p.intervalMs)}`)) {
    await send(p.js, SUBJECTS.stats, StatsMessageSchema, p.stats(now));
    p.metrics.statsPublished++;
  }
  const window = windowOf(now - FEED_DELAY_MS - WINDOW_MS);
  if (await lease(p.leases, `f.${rollupKey(window).slice(2)}`)) {
    const entry = await p.rollups.get(rollupKey(window));
    const rollup = entry?.operation === 'PUT' ? entry.json<Rollup>() : emptyRollup();
    await send(p.js, SUBJECTS.feed, FeedMessageSchema, feedMessage(rollup, window));
    p.metrics.feedsPublished++;
  }
}
