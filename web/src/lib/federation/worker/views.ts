// Read-only views of federation's database for the pages: the sent log, today's contribution, the received
// stats and feed, and the opt-in sample built from the operator's own last task.
import { unwrap } from 'idb';
import { values } from '../../db/idb.ts';
import { lastFinishedTask } from '../../db/finished-tasks.ts';
import { nodeActivity } from '../../db/node-activity.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { heartbeatMessage, taskMessage } from './anonymize.ts';
import { Identity, newSecret } from './identity.ts';
import { wasOn } from './periods.ts';
import { DAY_MS, type FederationDb, type FeedRecord, type Meta, type SentRecord } from './federation-db.ts';

export const MAX_ROWS = 500;

/**
 * The newest messages that left whose text holds `query` (case-insensitive), at most `limit`: those the server
 * took, and those it refused, marked `refused` with its reason.
 */
export function sentLog(fed: FederationDb, query: string, limit = 200): Promise<SentRecord[]> {
  const q = query.trim().toLowerCase();
  return values<SentRecord>(unwrap(fed.db.transaction('sent').store.index('atMs')), null, {
    reverse: true,
    keep: (r) => !q || r.json.toLowerCase().includes(q) || r.subject.includes(q),
    limit: Math.min(limit, MAX_ROWS),
  });
}

export interface Contribution {
  /** The UTC day it counts. */
  day: string;
  tasks: number;
  completed: number;
  failed: number;
  heartbeats: number;
  /** Activity reports: hours the node was up, of this day or earlier ones. */
  hours: number;
}

/** What this monitor sent today (UTC) and the server took. */
export async function contribution(fed: FederationDb, nowMs: number): Promise<Contribution> {
  const start = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const out: Contribution = {
    day: new Date(start).toISOString().slice(0, 10),
    tasks: 0,
    completed: 0,
    failed: 0,
    heartbeats: 0,
    hours: 0,
  };
  for (const r of await fed.db.getAllFromIndex('sent', 'atMs', IDBKeyRange.lowerBound(start))) {
    if (r.refused !== undefined) continue;
    if (r.kind === 'heartbeat') {
      out.heartbeats++;
      continue;
    }
    if (r.kind === 'activity') {
      out.hours++;
      continue;
    }
    out.tasks++;
    if (r.json.includes('"outcome":"failed"')) out.failed++;
    else out.completed++;
  }
  return out;
}

export function feed(fed: FederationDb, limit = 200): Promise<FeedRecord[]> {
  return values<FeedRecord>(unwrap(fed.db.transaction('feed').store.index('receivedMs')), null, {
    reverse: true,
    limit: Math.min(limit, MAX_ROWS),
  });
}

export async function stats(fed: FederationDb): Promise<Meta['stats'] | null> {
  return (await fed.get('stats')) ?? null;
}

export interface Sample {
  /** The message that would be sent for the last finished task, or why it would not be. */
  task: { json: string } | { reason: string } | null;
  /** That task as it is stored here: what is never sent. */
  local: Record<string, string | number | boolean> | null;
  heartbeat: { json: string } | { reason: string };
  /** Federation was on before in this browser: turning it on again offers "from now on only" first. */
  wasOn: boolean;
}

/** A real sample: the operator's last finished task and node state, anonymized (before opt-in, under a throwaway secret). */
export async function sample(fed: FederationDb, main: TruwatchDb, nowMs: number): Promise<Sample> {
  const identity = await Identity.from((await fed.get('secret')) ?? newSecret());
  const last = await lastFinishedTask(main);
  const { node, tasks24h } = await nodeActivity(main, nowMs);
  const beat = await heartbeatMessage({ node, tasks24h, region: undefined, nowMs }, identity);
  let task: Sample['task'] = null;
  let local: Sample['local'] = null;
  if (last) {
    const result = await taskMessage(last, identity);
    task = result.ok ? { json: result.json } : { reason: result.reason };
    const m = last.metrics ?? {};
    local = Object.fromEntries(
      Object.entries({
        executionId: last.executionId,
        taskId: last.taskId,
        blockNumber: last.blockNumber,
        finishedAt: last.finishedMs === undefined ? undefined : new Date(last.finishedMs).toISOString(),
        elapsedMs: m.elapsedMs,
        steps: last.steps,
        memoryPeak: m.memoryPeak,
        wasmHash: m.wasmHash,
        path: last.path,
        nodeAddress: node?.address,
      }).filter((e): e is [string, string | number] => e[1] !== undefined),
    );
  }
  return {
    task,
    local,
    heartbeat: beat.ok ? { json: beat.json } : { reason: beat.reason },
    wasOn: await wasOn(fed),
  };
}
