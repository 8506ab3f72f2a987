// From the local record to the federation message: a finished task to a task message, the node's state to a
// heartbeat, an hour the node was up to an activity report. Only bucket labels, enums, booleans, the 5-minute window, the chain id, versions and HMAC
// outputs are written; guard.ts then checks the result before anything is published.
import {
  ActivityMessageSchema,
  HeartbeatMessageSchema,
  TaskMessageSchema,
  hourOf,
  windowOf,
  type ActivityMessage,
  type HeartbeatMessage,
  type TaskMessage,
} from '../../../../../protocol/federation.ts';
import { DURATION, MEMORY, SLOTS, STEPS, TASKS_24H } from '../../../../../protocol/buckets.ts';
import { PROTOCOL_VERSION } from '../../../../../protocol/subjects.ts';
import type { Status } from '../../../../../protocol/node-events.ts';
import { version as CLIENT_VERSION } from '../../../../../package.json';
import type { NodeRecord, TaskRecord } from '../../db/schema.ts';
import { guard, type Guarded } from './guard.ts';
import type { Identity } from './identity.ts';

export { CLIENT_VERSION };

/** The chain id as digits: decimal as is, `0x…` converted; anything else is not a chain id. */
export function chainOf(chainId: string | undefined): string | undefined {
  if (chainId === undefined) return undefined;
  if (/^\d{1,12}$/.test(chainId)) return String(Number(chainId));
  if (/^0x[0-9a-f]{1,10}$/i.test(chainId)) return String(Number.parseInt(chainId.slice(2), 16));
  return undefined;
}

/** The task message of a finished execution, guarded; refused when it is not finished or has no chain id. */
export async function taskMessage(task: TaskRecord, identity: Identity): Promise<Guarded<TaskMessage>> {
  if ((task.status !== 'completed' && task.status !== 'failed') || task.finishedMs === undefined)
    return { ok: false, reason: 'not finished' };
  const chain = chainOf(task.chainId);
  if (chain === undefined) return { ok: false, reason: 'no chain id' };
  const message: TaskMessage = {
    v: PROTOCOL_VERSION,
    key: await identity.taskKey(task.executionId),
    window: windowOf(task.finishedMs),
    chain,
    kind: task.kind ?? 'unknown',
    outcome: task.status,
    duration: DURATION.label(task.metrics?.elapsedMs),
    steps: STEPS.label(task.steps),
    memory: MEMORY.label(task.metrics?.memoryPeak),
    cached: task.metrics?.cached === true,
    client: CLIENT_VERSION,
  };
  return guard(TaskMessageSchema, message, task);
}

/** The runner container's state in the heartbeat's words. */
export function nodeStatus(status: Status | undefined, lastEntryMs: number | undefined, nowMs: number) {
  const state = status?.container?.state;
  if (state === 'running' || state === 'restarting') return state;
  if (state !== undefined) return 'stopped';
  // No container (log files): entries in the last ten minutes mean it runs.
  return lastEntryMs !== undefined && nowMs - lastEntryMs < 600_000 ? 'running' : 'unknown';
}

export interface HeartbeatInput {
  node: NodeRecord | undefined;
  tasks24h: number;
  region: HeartbeatMessage['region'] | undefined;
  nowMs: number;
}

/** The runner's version cut to `major.minor`, or `unknown`. */
function runnerVersion(node: NodeRecord | undefined): string {
  const version = /^(\d{1,4})\.(\d{1,4})/.exec(node?.runnerVersion ?? '');
  return version ? `${Number(version[1])}.${Number(version[2])}` : 'unknown';
}

export async function heartbeatMessage(
  input: HeartbeatInput,
  identity: Identity,
): Promise<Guarded<HeartbeatMessage>> {
  const { node, nowMs } = input;
  const message: HeartbeatMessage = {
    v: PROTOCOL_VERSION,
    node: await identity.nodePseudonym(nowMs),
    status: nodeStatus(node?.status, node?.lastEntryMs, nowMs),
    slots: SLOTS.label(node?.slots?.active),
    tasks24h: TASKS_24H.label(input.tasks24h),
    version: runnerVersion(node),
    client: CLIENT_VERSION,
    ...(input.region && { region: input.region }),
  };
  return guard(HeartbeatMessageSchema, message, node);
}

/** The activity report of the hour starting at `hourMs`, under the pseudonym of that hour's UTC day. */
export async function activityMessage(
  input: { node: NodeRecord | undefined; region: ActivityMessage['region'] | undefined; hourMs: number },
  identity: Identity,
): Promise<Guarded<ActivityMessage>> {
  const message: ActivityMessage = {
    v: PROTOCOL_VERSION,
    node: await identity.nodePseudonym(input.hourMs),
    hour: hourOf(input.hourMs),
    version: runnerVersion(input.node),
    client: CLIENT_VERSION,
    ...(input.region && { region: input.region }),
  };
  return guard(ActivityMessageSchema, message, input.node);
}
