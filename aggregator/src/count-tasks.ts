// Counts task messages exactly once, even when several instances count at once and any of them may be
// killed at any point.
//
// 1. Claim: `dedup.create(key, seq)` records the task key with the ingest stream sequence of the message
//    that claims it. A second message with the same key finds a claim with another sequence: a duplicate.
//    A record that is no sequence (records.ts) is no claim: it is skipped and taken over.
//    The same message redelivered (its instance died before acknowledging) finds its own sequence: it may
//    or may not have been counted.
// 2. Count: per window, a compare-and-set update of the rollup adds the claimed tasks and records every
//    sequence of the batch in the rollup's `applied` runs, in the same write. A redelivered message whose
//    sequence is already in `applied` was counted and is skipped. A concurrent write makes the update fail;
//    it is read again and retried, so no increment is ever lost.
// 3. Only then are the messages acknowledged (ingest.ts). `applied` is pruned below the consumer's ack floor.
import type { KV } from '@nats-io/kv';
import type { TaskMessage } from '../../protocol/federation.ts';
import { isWrongLastSequence } from './kv-errors.ts';
import type { Metrics } from './metrics.ts';
import { addSeqs, hasSeq } from './ranges.ts';
import { decodeClaim, decodeRollup } from './records.ts';
import { addTask, emptyRollup, rollupKey, type Rollup } from './rollup.ts';
import { spentOnTask } from './tokens/spend-on.ts';
import { spendAll, type CheckedToken, type TokenGate } from './tokens/token-gate.ts';

export interface TaskItem {
  seq: number;
  task: TaskMessage;
  /** Its checked token, when the aggregator requires tokens: spent on the task's key before it is claimed. */
  token?: CheckedToken;
}

export interface TaskStore {
  dedup: KV;
  rollups: KV;
  metrics: Metrics;
  /** A stream sequence at or below which every message was acknowledged a while ago (settled-floor.ts). */
  ackFloor(): number;
  /** A task key's feed priority (rollup.ts, feedPriority). */
  priority(key: string): number;
  tokens?: TokenGate;
}

type Claim = 'new' | 'mine' | 'duplicate';

const MAX_ATTEMPTS = 1000;

async function claim(store: TaskStore, { seq, task }: TaskItem): Promise<Claim> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.dedup.create(task.key, String(seq));
      return 'new';
    } catch (error) {
      if (!isWrongLastSequence(error) || attempt >= MAX_ATTEMPTS) throw error;
      const entry = await store.dedup.get(task.key);
      // The create failed because the key exists: reading nothing means the read lagged; count it later.
      if (entry?.operation !== 'PUT')
        throw new Error(`claim of ${task.key} exists but could not be read`, { cause: error });
      const claimed = decodeClaim(entry);
      if (claimed !== undefined) return claimed === seq ? 'mine' : 'duplicate';
      // Not a claim (records.ts): nobody claimed the key; take it over, unless another instance does first.
      store.metrics.skip('dedup');
      try {
        await store.dedup.update(task.key, String(seq), entry.revision);
        return 'new';
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
  }
}

async function writeWindow(
  store: TaskStore,
  window: string,
  items: TaskItem[],
  batchSeqs: number[],
): Promise<void> {
  const key = rollupKey(window);
  for (let attempt = 1; ; attempt++) {
    const entry = await store.rollups.get(key);
    const live = entry?.operation === 'PUT' ? entry : null;
    // A record that is no rollup (records.ts) holds no counts: it is replaced, at its revision.
    const decoded = live ? decodeRollup(live) : undefined;
    if (live && !decoded) store.metrics.skip('rollups');
    const rollup: Rollup = decoded ?? emptyRollup();
    let counted = 0;
    // A sequence in `applied` was counted already: by an instance that had the same message delivered again
    // (its claim is "mine"), even while the one that claimed it first ("new") still writes.
    for (const item of items)
      if (!hasSeq(rollup.applied, item.seq)) {
        addTask(rollup, item.task, store.priority(item.task.key));
        counted++;
      }
    rollup.applied = addSeqs(rollup.applied, batchSeqs, store.ackFloor());
    const data = JSON.stringify(rollup);
    try {
      if (live) await store.rollups.update(key, data, live.revision);
      else await store.rollups.create(key, data);
      store.metrics.accepted.task += counted;
      store.metrics.duplicates += items.length - counted;
      return;
    } catch (error) {
      if (!isWrongLastSequence(error) || attempt >= MAX_ATTEMPTS) throw error;
      store.metrics.kvConflicts++;
    }
  }
}

/** Resolves once every task of the batch is counted (or known to be a duplicate); throws if the store fails. */
export async function countTasks(store: TaskStore, items: TaskItem[], batchSeqs: number[]): Promise<void> {
  // Tokens first: a task whose token is refused claims nothing (a claim made for it would push honest claims
  // out of the dedup bucket). An honest re-send carries the same token, spent on its own key: it passes here
  // and is dropped by its claim.
  if (store.tokens)
    items = await spendAll(store.tokens, store.metrics, items, (item) => spentOnTask(item.task.key));
  if (!items.length) return;
  const claims = await Promise.all(items.map((item) => claim(store, item)));
  const windows = new Map<string, TaskItem[]>();
  items.forEach((item, i) => {
    if (claims[i] === 'duplicate') {
      store.metrics.duplicates++;
      return;
    }
    const list = windows.get(item.task.window) ?? [];
    list.push(item);
    windows.set(item.task.window, list);
  });
  await Promise.all([...windows].map(([window, list]) => writeWindow(store, window, list, batchSeqs)));
}
