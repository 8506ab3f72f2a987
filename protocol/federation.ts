// Contract 2, part 3: the federation messages. These shapes are the privacy promise: every field is an
// enum, a bucket label, a boolean, a 5-minute window, a digits-only chain id, a version, a count, or an
// HMAC output, and every object is strict (an unknown key is a rejection). Monitors validate before they
// publish; the aggregator validates what it receives with the same schemas.
import * as v from 'valibot';
import { DURATION, MEMORY, SLOTS, STEPS, TASKS_24H } from './buckets.ts';
import { PROTOCOL_VERSION } from './subjects.ts';

/** The largest task, heartbeat or activity message, in UTF-8 bytes. A real one is about 250. */
export const MAX_INGEST_BYTES = 1024;
/** The largest stats or feed message, in UTF-8 bytes (the NATS server's max_payload is above it). */
export const MAX_PUBLISHED_BYTES = 48 * 1024;
/** The most tasks one feed message carries; `more` counts the rest of the window. */
export const MAX_FEED_TASKS = 200;
/** Window length: every time that leaves a monitor is floored to it. */
export const WINDOW_MS = 5 * 60 * 1000;

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const version = v.literal(PROTOCOL_VERSION);

/** An HMAC-SHA-256 output truncated to 128 bits, as 32 lowercase hex digits. */
export const HmacSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/));

/**
 * A Privacy Pass token (RFC 9577, type 0x0002: 354 bytes) as unpadded base64url: it shows that an admitted node
 * sent the message, not which one (docs/TRUST.md). An aggregator that requires tokens counts nothing without one.
 */
export const TokenSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{472}$/));

/** A UTC 5-minute window, written as its start: `2026-11-21T10:35:00Z`. */
export const WindowSchema = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:[0-5][05]:00Z$/),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'not a date'),
);

/** The window that holds `ms` (epoch milliseconds). */
export function windowOf(ms: number): string {
  return new Date(Math.floor(ms / WINDOW_MS) * WINDOW_MS).toISOString().replace('.000Z', 'Z');
}

/** A chain id: digits only (`1`, `137`, `11155111`). */
export const ChainSchema = v.pipe(v.string(), v.regex(/^[0-9]{1,12}$/));

/** The truwatch monitor's own version, `major.minor.patch`. */
export const ClientVersionSchema = v.pipe(v.string(), v.regex(/^\d{1,4}\.\d{1,4}\.\d{1,4}$/));

/** The runner's version cut to `major.minor`, or `unknown`. */
export const RunnerVersionSchema = v.union([
  v.pipe(v.string(), v.regex(/^\d{1,4}\.\d{1,4}$/)),
  v.literal('unknown'),
]);

export const TASK_KINDS = ['function', 'api', 'unknown'] as const;
export const OUTCOMES = ['completed', 'failed'] as const;
export const NODE_STATUSES = ['running', 'restarting', 'stopped', 'unknown'] as const;
/** Continents, only ever sent when the operator chose one (off by default). */
export const REGIONS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;
/** The cell that holds regions or versions reported by fewer than MIN_CELL_NODES nodes. */
export const OTHER = 'other';
export const MIN_CELL_NODES = 3;

const taskFields = {
  /** The window in which the execution finished. */
  window: WindowSchema,
  chain: ChainSchema,
  kind: v.picklist(TASK_KINDS),
  outcome: v.picklist(OUTCOMES),
  duration: v.picklist(DURATION.labels),
  steps: v.picklist(STEPS.labels),
  memory: v.picklist(MEMORY.labels),
  /** Whether the runner reused a prepared (cached) wasm module. */
  cached: v.boolean(),
};

/**
 * One finished execution. No node identity: two task messages cannot be linked to each other or to a
 * heartbeat by their content.
 */
export const TaskMessageSchema = v.strictObject({
  v: version,
  /** HMAC-SHA-256(the node's federation secret, executionId), truncated: deduplicates re-sends, links to nothing. */
  key: HmacSchema,
  ...taskFields,
  client: ClientVersionSchema,
  /** A task token of its own (docs/TRUST.md, "Which messages carry one"). */
  token: v.optional(TokenSchema),
});
export type TaskMessage = v.InferOutput<typeof TaskMessageSchema>;

/** A monitor's sign of life, every 60 s while federation runs. */
export const HeartbeatMessageSchema = v.strictObject({
  v: version,
  /** HMAC-SHA-256(the node's federation secret, "node:" + UTC date), truncated: stable for one day, unlinkable across days. */
  node: HmacSchema,
  /** The runner container's state. */
  status: v.picklist(NODE_STATUSES),
  /** Slots in use now, as a bucket. */
  slots: v.picklist(SLOTS.labels),
  /** Tasks this node finished in the last 24 hours, as a bucket. */
  tasks24h: v.picklist(TASKS_24H.labels),
  version: RunnerVersionSchema,
  client: ClientVersionSchema,
  /** The operator's continent, only if they chose to share it. */
  region: v.optional(v.picklist(REGIONS)),
  /** The presence token of the pseudonym's day, the same on each of that day's messages. */
  token: v.optional(TokenSchema),
});
export type HeartbeatMessage = v.InferOutput<typeof HeartbeatMessageSchema>;

/** A UTC hour, written as its start: `2026-11-21T10:00:00Z`. */
export const HourStartSchema = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'not a date'),
);

/** The hour that holds `ms` (epoch milliseconds). */
export function hourOf(ms: number): string {
  return new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
}

/**
 * One UTC hour in which the node was up, as its monitor's history shows (the runner wrote to its log in that
 * hour, or its container was running through it), published once the hour has passed, when a tab of the app
 * runs: up to 7 days late. Nodes per hour and per day are counted from these, so a node is counted for the
 * hours it worked whether or not a tab was open then. An hour the node was down is not sent.
 */
export const ActivityMessageSchema = v.strictObject({
  v: version,
  /** The pseudonym of the hour's UTC day (the heartbeat's `node` on that day). */
  node: HmacSchema,
  hour: HourStartSchema,
  /** The runner's version, as the monitor knows it now. */
  version: RunnerVersionSchema,
  client: ClientVersionSchema,
  /** The operator's continent, only if they chose to share it. */
  region: v.optional(v.picklist(REGIONS)),
  /** The presence token of the pseudonym's day, as on its heartbeats. */
  token: v.optional(TokenSchema),
});
export type ActivityMessage = v.InferOutput<typeof ActivityMessageSchema>;

/** A map from a label to a count, with at most `maxKeys` labels. */
const counts = <K extends v.GenericSchema<string, string>>(key: K, maxKeys: number) =>
  v.pipe(
    v.record(key, count),
    v.check((o) => Object.keys(o).length <= maxKeys, `at most ${maxKeys} labels`),
  );

const label = v.pipe(v.string(), v.regex(/^[A-Za-z0-9.<>+-]{1,16}$/));

/** One hour of the network, for the 7-day series. */
export const HourSchema = v.strictObject({
  /** The hour's start, UTC: `2026-11-21T10:00:00Z`. */
  hour: HourStartSchema,
  completed: count,
  failed: count,
  /** Distinct nodes up in that hour, as reported so far (activity, and heartbeats of a running node). */
  nodes: count,
});
export type Hour = v.InferOutput<typeof HourSchema>;

/** The aggregator's snapshot of the network. Histograms, chains and kinds cover the last 24 hours. */
export const StatsMessageSchema = v.strictObject({
  v: version,
  /** When the aggregator computed it (UTC, whole seconds). */
  at: v.pipe(v.string(), v.isoTimestamp()),
  /** Monitors online now: pseudonyms whose heartbeat was heard in the last 180 s. */
  activeNodes: count,
  /** Nodes up at some time of the current UTC day, as reported so far. */
  nodesToday: count,
  tasks: v.strictObject({ lastHour: count, last24h: count, last7d: count }),
  outcomes: counts(v.picklist(OUTCOMES), OUTCOMES.length),
  kinds: counts(v.picklist(TASK_KINDS), TASK_KINDS.length),
  chains: counts(v.union([ChainSchema, v.literal(OTHER)]), 32),
  duration: counts(v.picklist(DURATION.labels), DURATION.labels.length),
  steps: counts(v.picklist(STEPS.labels), STEPS.labels.length),
  memory: counts(v.picklist(MEMORY.labels), MEMORY.labels.length),
  /** Active nodes by region; cells under MIN_CELL_NODES merged into `other`, no region is `unknown`. */
  regions: counts(v.picklist([...REGIONS, OTHER, 'unknown']), REGIONS.length + 2),
  /** Active nodes by runner version, merged like regions. */
  versions: counts(label, 32),
  /** The last 7 days, hour by hour, oldest first. */
  hourly: v.pipe(v.array(HourSchema), v.maxLength(24 * 7 + 1)),
  /**
   * True when the aggregator counts only messages backed by a valid, unspent token (docs/TRUST.md): every node
   * and task above is then token-backed. Absent or false: none is.
   */
  tokenBacked: v.optional(v.boolean()),
});
export type StatsMessage = v.InferOutput<typeof StatsMessageSchema>;

/** A finished task as the feed shows it: the task message without its dedup key and client version. */
export const FeedTaskSchema = v.strictObject(taskFields);
export type FeedTask = v.InferOutput<typeof FeedTaskSchema>;

/** The tasks of one closed 5-minute window. */
export const FeedMessageSchema = v.strictObject({
  v: version,
  window: WindowSchema,
  tasks: v.pipe(v.array(FeedTaskSchema), v.maxLength(MAX_FEED_TASKS)),
  /** Tasks of the window beyond MAX_FEED_TASKS. */
  more: count,
});
export type FeedMessage = v.InferOutput<typeof FeedMessageSchema>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: RejectReason; detail: string };

/** Why a received message was refused; the aggregator counts rejections by these. */
export const REJECT_REASONS = ['oversize', 'json', 'schema'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Decodes and validates one message's payload: size first, then JSON, then the strict schema. */
export function parseMessage<T>(
  schema: v.GenericSchema<unknown, T>,
  payload: Uint8Array | string,
  maxBytes: number,
): ParseResult<T> {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload).length : payload.length;
  if (bytes > maxBytes) return { ok: false, reason: 'oversize', detail: `${bytes} bytes > ${maxBytes}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch (error) {
    return { ok: false, reason: 'json', detail: (error as Error).message };
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    return { ok: false, reason: 'schema', detail: `${path ? path + ': ' : ''}${issue.message}` };
  }
  return { ok: true, message: result.output };
}
