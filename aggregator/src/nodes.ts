// Heartbeats and activity → one record per pseudonym and UTC day in the nodes bucket: when a monitor of the
// node was last heard (heartbeats), and in which hours of that day the node was up (a heartbeat of a running
// node sets its hour; an activity report, sent from the node's history once the hour has passed, sets the hour
// it names). Every field only grows (latest time, OR of hour bits), so counting a message twice changes nothing,
// and compare-and-set keeps concurrent instances from overwriting each other. Heartbeat times are the ingest
// stream's (when the server received the message), not the aggregator's clock, so a backlog counted late
// lands in the right hours.
//
// Memory: the mirror keeps at most MAX_NODES records and never refuses one. A new pseudonym in a full mirror
// evicts the least recently heard record, and records heard more than once (`heardTwice`: every honest node,
// which beats every 60 s) are evicted only after every record heard once. A flood of invented pseudonyms
// (each sent once) therefore evicts its own kind and passes honest nodes by. The bucket keeps every record;
// an evicted one read back on its next heartbeat (its create finds the key and the update goes on).
import type { KV, KvEntry } from '@nats-io/kv';
import type { ActivityMessage, HeartbeatMessage } from '../../protocol/federation.ts';
import { isWrongLastSequence } from './kv-errors.ts';
import type { Metrics } from './metrics.ts';
import type { Mirror } from './mirror.ts';
import { decodeNodeRecord } from './records.ts';
import type { CheckedToken } from './tokens/token-gate.ts';

const MAX_ATTEMPTS = 100;

export interface NodeRecord {
  /** A monitor last heard (heartbeat), epoch ms; absent when only activity reports were counted. */
  l?: number;
  /** First heard, epoch ms (absent in records written before it existed). */
  f?: number;
  /** Bit h set: the node was up in hour h (UTC) of the record's day. */
  h: number;
  /** Runner version and region of the latest heartbeat (of the first activity report without one). */
  v: string;
  r?: string;
}

export interface BeatItem {
  ms: number;
  beat: HeartbeatMessage;
  /** Its checked presence token, when the aggregator requires tokens (ingest.ts spends it). */
  token?: CheckedToken;
}

export interface ActivityItem {
  /** The start of the hour the report names, epoch ms. */
  hourMs: number;
  activity: ActivityMessage;
  token?: CheckedToken;
}

export interface NodeStore {
  nodes: KV;
  mirror: Mirror<NodeRecord>;
  metrics: Metrics;
  minIntervalMs: number;
}

/** `n.<yyyymmdd>.<pseudonym>`: a pseudonym is stable for one UTC day. */
export function nodeKey(ms: number, node: string): string {
  return `n.${dayOf(ms)}.${node}`;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The day of a node key as epoch ms of its midnight, or NaN. */
export function dayOfKey(key: string): number {
  const m = /^n\.(\d{4})(\d{2})(\d{2})\./.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) : NaN;
}

/** A node record, if its key and value have a node record's shape (records.ts). */
export function decodeNode(entry: KvEntry): NodeRecord | undefined {
  return decodeNodeRecord(entry);
}

/** Whether a record was heard at two different times (such a record is evicted last from the mirror). */
export function heardTwice(record: NodeRecord): boolean {
  return record.f !== undefined && record.l !== undefined && record.l > record.f;
}

const hourBit = (ms: number) => 1 << new Date(ms).getUTCHours();

/** A heartbeat merged into the day's record: a later one sets the time, version and region. */
function withBeat(current: NodeRecord | undefined, { ms, beat }: BeatItem): NodeRecord {
  const hour = beat.status === 'running' ? hourBit(ms) : 0;
  const f = Math.min(current ? (current.f ?? current.l ?? ms) : ms, ms);
  if (current?.l !== undefined && current.l > ms) return { ...current, f, h: current.h | hour };
  return {
    l: ms,
    f,
    h: (current?.h ?? 0) | hour,
    v: beat.version,
    ...(beat.region ? { r: beat.region } : {}),
  };
}

/** An activity report merged into its day's record: its hour set; version and region only if none yet. */
function withActivity(current: NodeRecord | undefined, { hourMs, activity }: ActivityItem): NodeRecord {
  if (current) return { ...current, h: current.h | hourBit(hourMs) };
  return { h: hourBit(hourMs), v: activity.version, ...(activity.region ? { r: activity.region } : {}) };
}

/**
 * Writes `merge(record held)` at `key` with compare-and-set, reading the record again after a concurrent
 * write. `merge` answers undefined when the record already says it all (nothing to write).
 */
async function updateRecord(
  store: NodeStore,
  key: string,
  merge: (current: NodeRecord | undefined) => NodeRecord | undefined,
): Promise<void> {
  let held = store.mirror.get(key);
  /** The revision of a foreign record at `key`, to be replaced. */
  let foreign: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const next = merge(held?.value);
    if (!next) return;
    try {
      const revision = held
        ? await store.nodes.update(key, JSON.stringify(next), held.revision)
        : foreign !== undefined
          ? await store.nodes.update(key, JSON.stringify(next), foreign)
          : await store.nodes.create(key, JSON.stringify(next));
      store.mirror.set(key, { value: next, revision });
      return;
    } catch (error) {
      if (!isWrongLastSequence(error) || attempt >= MAX_ATTEMPTS) throw error;
      store.metrics.kvConflicts++;
      const entry = await store.nodes.get(key);
      const value = entry?.operation === 'PUT' ? decodeNode(entry) : undefined;
      if (entry?.operation === 'PUT' && !value) {
        // Not a node record (records.ts): it holds nothing of the node's day; replace it at its revision.
        store.metrics.skip('nodes');
        held = undefined;
        foreign = entry.revision;
      } else {
        held = entry && value ? { value, revision: entry.revision } : undefined;
        foreign = undefined;
      }
    }
  }
}

async function countBeat(store: NodeStore, item: BeatItem): Promise<void> {
  let limited = false;
  await updateRecord(store, nodeKey(item.ms, item.beat.node), (current) => {
    limited = current?.l !== undefined && Math.abs(item.ms - current.l) < store.minIntervalMs;
    return limited ? undefined : withBeat(current, item);
  });
  if (limited) store.metrics.reject('ratelimit');
  else store.metrics.accepted.heartbeat++;
}

async function countActivity(store: NodeStore, item: ActivityItem): Promise<void> {
  const bit = hourBit(item.hourMs);
  await updateRecord(store, nodeKey(item.hourMs, item.activity.node), (current) =>
    current && current.h & bit ? undefined : withActivity(current, item),
  );
  store.metrics.accepted.activity++;
}

/**
 * Counts a batch's heartbeats and activity reports: one record's in order (heartbeats by time), different
 * records at once.
 */
export async function countNodes(
  store: NodeStore,
  beats: BeatItem[],
  reports: ActivityItem[],
): Promise<void> {
  const byKey = new Map<string, (() => Promise<void>)[]>();
  const add = (key: string, count: () => Promise<void>) => byKey.set(key, [...(byKey.get(key) ?? []), count]);
  for (const item of [...beats].sort((a, b) => a.ms - b.ms))
    add(nodeKey(item.ms, item.beat.node), () => countBeat(store, item));
  for (const item of reports) add(nodeKey(item.hourMs, item.activity.node), () => countActivity(store, item));
  await Promise.all(
    [...byKey.values()].map(async (list) => {
      for (const count of list) await count();
    }),
  );
}
