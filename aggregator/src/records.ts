// What a record of the aggregator's KV buckets must look like to be used. The buckets live in the aggregator's
// own account, but a record may still be foreign (written by hand, by another program, or through a reply
// subject before the accounts wall): every record read is checked by its key and its shape here, and one that
// does not fit is skipped (and counted on /metrics by its bucket), never trusted.
import type { KvEntry } from '@nats-io/kv';
import * as v from 'valibot';
import {
  ChainSchema,
  HmacSchema,
  MAX_FEED_TASKS,
  OTHER,
  OUTCOMES,
  REGIONS,
  RunnerVersionSchema,
  TASK_KINDS,
} from '../../protocol/federation.ts';
import { DURATION, MEMORY, STEPS } from '../../protocol/buckets.ts';
import { MAX_RUNS } from './ranges.ts';
import { CHAIN_SKETCH_SIZE, MAX_WINDOW_CHAINS, rollupKey, windowOfKey, type Rollup } from './rollup.ts';

const DAY_MS = 24 * 3600_000;
/** Counts above this are not a window's (a 5-minute window of the whole network is far below it). */
const MAX_COUNT = 2 ** 32;

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_COUNT));
const counts = (key: v.GenericSchema<string, string>, maxKeys: number) =>
  v.pipe(
    v.record(key, count),
    v.check((o) => Object.keys(o).length <= maxKeys),
  );
const seq = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER));

const FEED_TASK = [
  v.union([ChainSchema, v.literal(OTHER)]),
  v.picklist(TASK_KINDS),
  v.picklist(OUTCOMES),
  v.picklist(DURATION.labels),
  v.picklist(STEPS.labels),
  v.picklist(MEMORY.labels),
  v.picklist([0, 1]),
] as const;
/** 48 bits of an HMAC. */
const PRIORITY = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 48 - 1));

export const RollupSchema = v.object({
  tasks: count,
  outcomes: counts(v.picklist(OUTCOMES), OUTCOMES.length),
  kinds: counts(v.picklist(TASK_KINDS), TASK_KINDS.length),
  chains: counts(v.union([ChainSchema, v.literal(OTHER)]), MAX_WINDOW_CHAINS + 1),
  duration: counts(v.picklist(DURATION.labels), DURATION.labels.length),
  steps: counts(v.picklist(STEPS.labels), STEPS.labels.length),
  memory: counts(v.picklist(MEMORY.labels), MEMORY.labels.length),
  cached: count,
  /** Space-saving counters of the window's chains (rollup.ts): [chain, count, error]. */
  sketch: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.tuple([ChainSchema, count, count]),
          v.check(([, n, error]) => error <= n),
        ),
      ),
      v.maxLength(CHAIN_SKETCH_SIZE),
    ),
  ),
  /** Feed tasks, with their priority (rollup.ts, feedPriority) unless written before there was one. */
  feed: v.pipe(
    v.array(v.union([v.strictTuple([...FEED_TASK]), v.strictTuple([...FEED_TASK, PRIORITY])])),
    v.maxLength(MAX_FEED_TASKS),
  ),
  applied: v.pipe(
    v.array(
      v.pipe(
        v.tuple([seq, seq]),
        v.check(([from, to]) => from <= to),
      ),
    ),
    v.maxLength(MAX_RUNS),
  ),
});

export const NodeRecordSchema = v.object({
  l: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  f: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  h: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 24 - 1)),
  v: RunnerVersionSchema,
  r: v.optional(v.picklist(REGIONS)),
});

/** The value of a record, if it is JSON of `schema`'s shape. */
function json<T>(entry: KvEntry, schema: v.GenericSchema<unknown, T>): T | undefined {
  let value: unknown;
  try {
    value = entry.json<unknown>();
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(schema, value);
  return parsed.success ? parsed.output : undefined;
}

/** A rollup record: `w.<window>` with a 5-minute window, and a rollup's shape. */
export function decodeRollup(entry: KvEntry): Rollup | undefined {
  const ms = windowOfKey(entry.key);
  if (Number.isNaN(ms) || rollupKey(new Date(ms).toISOString()) !== entry.key || ms % 300_000) return;
  return json(entry, RollupSchema);
}

/** A node record: `n.<yyyymmdd>.<pseudonym>`, first and last heard within that day. */
export function decodeNodeRecord(entry: KvEntry): v.InferOutput<typeof NodeRecordSchema> | undefined {
  const m = /^n\.(\d{4})(\d{2})(\d{2})\.([^.]+)$/.exec(entry.key);
  if (!m || !v.is(HmacSchema, m[4])) return;
  const day = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
  if (new Date(day).toISOString().slice(0, 10).replaceAll('-', '') !== entry.key.slice(2, 10)) return;
  const record = json(entry, NodeRecordSchema);
  const inDay = (ms: number) => ms >= day && ms < day + DAY_MS;
  if (!record) return;
  if (record.l === undefined) return record.f === undefined ? record : undefined;
  return inDay(record.l) && (record.f === undefined || (inDay(record.f) && record.f <= record.l))
    ? record
    : undefined;
}

/** A dedup claim: the ingest stream sequence of the message that claimed the key. */
export function decodeClaim(entry: KvEntry): number | undefined {
  const text = entry.string();
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : undefined;
}

/** A lease: the id of the instance that took it (publish.ts), or `1` as earlier versions wrote. */
export const LeaseSchema = v.pipe(v.string(), v.regex(/^(1|[0-9a-f]{16})$/));
