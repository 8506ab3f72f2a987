// The consumer loop: fetch a batch from the shared durable consumer, validate every message, count the
// tasks and heartbeats, and acknowledge the batch only once its counts are stored. A batch that fails is
// negatively acknowledged and comes back (to this instance or another); counting it again is harmless
// (count-tasks.ts, nodes.ts).
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import {
  HeartbeatMessageSchema,
  MAX_INGEST_BYTES,
  TaskMessageSchema,
  WINDOW_MS,
  parseMessage,
} from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { countTasks, type TaskItem, type TaskStore } from './count-tasks.ts';
import { countHeartbeats, type BeatItem, type NodeStore } from './nodes.ts';

const DAY_MS = 24 * 3600 * 1000;
/** How old a task's window may be when it reaches the server, and how far ahead a monitor's clock may run. */
export const MAX_WINDOW_AGE_MS = 7 * DAY_MS;
export const FUTURE_GRACE_MS = 5 * 60 * 1000;

/** Whether a task of `window` received at `ms` (ingest time) is counted. */
export function windowAccepted(window: string, ms: number): boolean {
  const start = Date.parse(window);
  return start >= Math.floor(ms / WINDOW_MS) * WINDOW_MS - MAX_WINDOW_AGE_MS && start <= ms + FUTURE_GRACE_MS;
}

export async function countBatch(store: TaskStore & NodeStore, batch: JsMsg[]): Promise<void> {
  const tasks: TaskItem[] = [];
  const beats: BeatItem[] = [];
  for (const m of batch) {
    const ms = m.time.getTime();
    if (m.subject === SUBJECTS.task) {
      const parsed = parseMessage(TaskMessageSchema, m.data, MAX_INGEST_BYTES);
      if (!parsed.ok) store.metrics.reject(parsed.reason);
      else if (!windowAccepted(parsed.message.window, ms)) store.metrics.reject('window');
      else tasks.push({ seq: m.seq, task: parsed.message });
    } else {
      const parsed = parseMessage(HeartbeatMessageSchema, m.data, MAX_INGEST_BYTES);
      if (!parsed.ok) store.metrics.reject(parsed.reason);
      else beats.push({ ms, beat: parsed.message });
    }
  }
  const seqs = batch.map((m) => m.seq);
  await Promise.all([countTasks(store, tasks, seqs), countHeartbeats(store, beats)]);
}

export interface IngestLoop {
  /** Resolves when the loop has stopped (after stop()). */
  done: Promise<void>;
  stop(): void;
}

export function startIngest(
  consumer: Consumer,
  store: TaskStore & NodeStore,
  batchSize: number,
  onError: (error: unknown) => void,
): IngestLoop {
  let stopped = false;
  const fetchBatch = async (): Promise<JsMsg[]> => {
    const batch: JsMsg[] = [];
    const messages = await consumer.fetch({ max_messages: batchSize, expires: 1000 });
    for await (const m of messages) batch.push(m);
    return batch;
  };
  const done = (async () => {
    // The next batch is fetched while this one is counted: at most two batches in hand.
    let next = fetchBatch();
    while (!stopped) {
      let batch: JsMsg[] = [];
      try {
        batch = await next;
        next = stopped ? Promise.resolve([]) : fetchBatch();
        if (!batch.length) continue;
        await countBatch(store, batch);
        for (const m of batch) m.ack();
      } catch (error) {
        store.metrics.batchErrors++;
        for (const m of batch) m.nak(1000);
        onError(error);
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, 500));
        next = next.catch(() => []);
      }
    }
    for (const m of await next.catch(() => [])) m.nak();
  })();
  return { done, stop: () => (stopped = true) };
}
