// The consumer loop: fetch a batch from the shared durable consumer, validate every message, count the
// tasks, heartbeats and activity reports, and acknowledge the batch only once its counts are stored. A batch that fails is
// negatively acknowledged and comes back (to this instance or another); counting it again is harmless
// (count-tasks.ts, nodes.ts).
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import {
  ActivityMessageSchema,
  HeartbeatMessageSchema,
  MAX_INGEST_BYTES,
  TaskMessageSchema,
  WINDOW_MS,
  parseMessage,
} from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { countTasks, type TaskItem, type TaskStore } from './count-tasks.ts';
import { countNodes, type ActivityItem, type BeatItem, type NodeStore } from './nodes.ts';
import { spentOnPresence } from './tokens/spend-on.ts';
import type { TokenKind } from '../../protocol/private-token.ts';
import { spendAll, type CheckedToken, type TokenGate } from './tokens/token-gate.ts';

const DAY_MS = 24 * 3600 * 1000;
const FETCH_EXPIRES_MS = 1000;
const FETCH_GRACE_MS = 5000;
/** How old a task's window may be when it reaches the server, and how far ahead a monitor's clock may run. */
export const MAX_WINDOW_AGE_MS = 7 * DAY_MS;
export const FUTURE_GRACE_MS = 5 * 60 * 1000;

/** Whether a task of `window` received at `ms` (ingest time) is counted. */
export function windowAccepted(window: string, ms: number): boolean {
  const start = Date.parse(window);
  return start >= Math.floor(ms / WINDOW_MS) * WINDOW_MS - MAX_WINDOW_AGE_MS && start <= ms + FUTURE_GRACE_MS;
}

/**
 * Whether an activity report for the hour starting at `hourMs`, received at `ms`, is counted: an hour that has
 * begun (a monitor's clock may run FUTURE_GRACE_MS ahead), at most MAX_WINDOW_AGE_MS old, like a task's window.
 */
export function hourAccepted(hourMs: number, ms: number): boolean {
  return (
    hourMs >= Math.floor(ms / WINDOW_MS) * WINDOW_MS - MAX_WINDOW_AGE_MS && hourMs <= ms + FUTURE_GRACE_MS
  );
}

/**
 * What the consumer loop counts into. `tokens`: when set, only messages backed by a valid token count
 * (docs/TRUST.md); a task's token is spent on its key once the key is claimed (count-tasks.ts), a presence
 * token on its pseudonym's day before the day's record is written.
 */
export type IngestStore = TaskStore & NodeStore & { tokens?: TokenGate };

export async function countBatch(store: IngestStore, batch: JsMsg[]): Promise<void> {
  const tasks: TaskItem[] = [];
  let beats: BeatItem[] = [];
  let reports: ActivityItem[] = [];
  const gate = store.tokens;
  /** The message's checked token; none when no token is needed; null when it counts for nothing. */
  const tokenOf = (
    token: string | undefined,
    kind: TokenKind,
    ms: number,
  ): { token?: CheckedToken } | null => {
    if (!gate) return {};
    const checked = gate.check(token, kind, ms);
    if (typeof checked !== 'string') return { token: checked };
    store.metrics.reject(checked);
    return null;
  };
  for (const m of batch) {
    const ms = m.time.getTime();
    if (m.subject === SUBJECTS.task) {
      const parsed = parseMessage(TaskMessageSchema, m.data, MAX_INGEST_BYTES);
      if (!parsed.ok) store.metrics.reject(parsed.reason);
      else if (!windowAccepted(parsed.message.window, ms)) store.metrics.reject('window');
      else {
        const backed = tokenOf(parsed.message.token, 'task', ms);
        if (backed) tasks.push({ seq: m.seq, task: parsed.message, ...backed });
      }
    } else if (m.subject === SUBJECTS.activity) {
      const parsed = parseMessage(ActivityMessageSchema, m.data, MAX_INGEST_BYTES);
      const hourMs = parsed.ok ? Date.parse(parsed.message.hour) : NaN;
      if (!parsed.ok) store.metrics.reject(parsed.reason);
      else if (!hourAccepted(hourMs, ms)) store.metrics.reject('window');
      else {
        const backed = tokenOf(parsed.message.token, 'presence', ms);
        if (backed) reports.push({ hourMs, activity: parsed.message, ...backed });
      }
    } else {
      const parsed = parseMessage(HeartbeatMessageSchema, m.data, MAX_INGEST_BYTES);
      if (!parsed.ok) store.metrics.reject(parsed.reason);
      else {
        const backed = tokenOf(parsed.message.token, 'presence', ms);
        if (backed) beats.push({ ms, beat: parsed.message, ...backed });
      }
    }
  }
  if (gate) {
    // A presence token backs one pseudonym's day: spent on it by the first message, its own on every other.
    // An activity report names a past hour; its day is its pseudonym's, as a heartbeat's arrival is.
    [beats, reports] = await Promise.all([
      spendAll(gate, store.metrics, beats, (b) => spentOnPresence(b.beat.node, b.ms)),
      spendAll(gate, store.metrics, reports, (r) => spentOnPresence(r.activity.node, r.hourMs)),
    ]);
  }
  const seqs = batch.map((m) => m.seq);
  await Promise.all([countTasks(store, tasks, seqs), countNodes(store, beats, reports)]);
}

export interface IngestLoop {
  /** Resolves when the loop has stopped (after stop()). */
  done: Promise<void>;
  stop(): void;
}

/**
 * Counts with `workers` loops on the one consumer (each fetches a batch, counts it, acknowledges it), so that
 * the server stores one batch's counts while another batch's keys are claimed.
 */
export function startIngest(
  consumer: Consumer,
  store: IngestStore,
  options: { batchSize: number; workers: number },
  onError: (error: unknown) => void,
): IngestLoop {
  let stopped = false;
  const worker = async () => {
    while (!stopped) {
      const batch: JsMsg[] = [];
      try {
        const messages = await consumer.fetch({ max_messages: options.batchSize, expires: FETCH_EXPIRES_MS });
        // A pull whose consumer leader died with the client's server can wait forever: give it up.
        const watchdog = setTimeout(() => messages.stop(), FETCH_EXPIRES_MS + FETCH_GRACE_MS);
        try {
          for await (const m of messages) batch.push(m);
        } finally {
          clearTimeout(watchdog);
        }
        if (!batch.length) continue;
        await countBatch(store, batch);
        for (const m of batch) m.ack();
      } catch (error) {
        store.metrics.batchErrors++;
        for (const m of batch) m.nak(1000);
        onError(error);
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, worker)).then(() => undefined);
  return { done, stop: () => (stopped = true) };
}
