// Heartbeats → one record per pseudonym and UTC day in the nodes bucket: when it was last heard and in
// which hours of that day. Every field only grows (latest time, OR of hour bits), so counting a heartbeat
// twice changes nothing, and compare-and-set keeps concurrent instances from overwriting each other.
// Times are the ingest stream's (when the server received the message), not the aggregator's clock, so a
// backlog counted late lands in the right hours.
//
// Memory: the mirror keeps at most MAX_NODES records and never refuses one. A new pseudonym in a full mirror
// evicts the least recently heard record, and records heard more than once (`heardTwice`: every honest node,
// which beats every 60 s) are evicted only after every record heard once. A flood of invented pseudonyms
// (each sent once) therefore evicts its own kind and passes honest nodes by. The bucket keeps every record;
// an evicted one read back on its next heartbeat (its create finds the key and the update goes on).
import type { KV, KvEntry } from '@nats-io/kv';
import type { HeartbeatMessage } from '../../protocol/federation.ts';
import { isWrongLastSequence } from './kv-errors.ts';
import type { Metrics } from './metrics.ts';
import type { Mirror } from './mirror.ts';
import { decodeNodeRecord } from './records.ts';

const MAX_ATTEMPTS = 100;

export interface NodeRecord {
  /** Last heard, epoch ms. */
  l: number;
  /** First heard, epoch ms (absent in records written before it existed). */
  f?: number;
  /** Bit h set: heard in hour h (UTC) of the record's day. */
  h: number;
  /** Runner version and region of the latest heartbeat. */
  v: string;
  r?: string;
}

export interface BeatItem {
  ms: number;
  beat: HeartbeatMessage;
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
  return record.f !== undefined && record.l > record.f;
}

function merged(current: NodeRecord | undefined, { ms, beat }: BeatItem): NodeRecord {
  const hour = 1 << new Date(ms).getUTCHours();
  const f = Math.min(current ? (current.f ?? current.l) : ms, ms);
  if (current && current.l > ms) return { ...current, f, h: current.h | hour };
  return {
    l: ms,
    f,
    h: (current?.h ?? 0) | hour,
    v: beat.version,
    ...(beat.region ? { r: beat.region } : {}),
  };
}

async function countBeat(store: NodeStore, item: BeatItem): Promise<void> {
  const key = nodeKey(item.ms, item.beat.node);
  let held = store.mirror.get(key);
  /** The revision of a foreign record at `key`, to be replaced. */
  let foreign: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (held && Math.abs(item.ms - held.value.l) < store.minIntervalMs)
      return store.metrics.reject('ratelimit');
    const next = merged(held?.value, item);
    try {
      const revision = held
        ? await store.nodes.update(key, JSON.stringify(next), held.revision)
        : foreign !== undefined
          ? await store.nodes.update(key, JSON.stringify(next), foreign)
          : await store.nodes.create(key, JSON.stringify(next));
      store.mirror.set(key, { value: next, revision });
      store.metrics.accepted.heartbeat++;
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

/** Counts a batch's heartbeats: one pseudonym's in order, different pseudonyms at once. */
export async function countHeartbeats(store: NodeStore, items: BeatItem[]): Promise<void> {
  const byKey = new Map<string, BeatItem[]>();
  for (const item of items) {
    const key = nodeKey(item.ms, item.beat.node);
    byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  await Promise.all(
    [...byKey.values()].map(async (list) => {
      for (const item of list.sort((a, b) => a.ms - b.ms)) await countBeat(store, item);
    }),
  );
}
