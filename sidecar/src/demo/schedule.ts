// When each line of a block happens (ms offsets within the block). Executions overlap up to the slot count,
// and their timing is shaped so that the correlation rules of runner-node-logs.md attribute every id-less line
// (metrics, stderr, id-less "Starting task execution") to the right execution:
// - executions that overlap are nested: one that starts while another runs finishes (completion line
//   included) before the other's metrics, so "the most recently started execution without metrics" is
//   always the right one;
// - nothing starts between an execution's metrics and its completion line;
// - a task's `downloaded` and `Semaphore … message received` lines come before the next task_created.
// Every block is self-contained: all its executions and invoices begin and end inside it.
import type { Rng } from './random.ts';

export const SLOT_TOTAL = 4;
/** Tasks arrive in [ARRIVAL_FIRST_MS, ARRIVAL_LAST_MS]; executions aim to finish by DEADLINE_MS. */
const ARRIVAL_FIRST_MS = 2_000;
const ARRIVAL_LAST_MS = 176_000;
const DEADLINE_MS = 204_000;
/** A nested execution must start at least this long before the enclosing one's metrics. */
const ROOM_MS = 1_500;
/** …and complete at least this long before them. */
const NEST_MARGIN_MS = 300;

export interface ExecPlan {
  kind: 'function' | 'api';
  /** Wanted execution time; the schedule may shorten it. */
  elapsedMs: number;
}

export interface ExecTimes {
  received: number;
  downloaded?: number;
  semReceived: number;
  acquired: number;
  startLine: number;
  /** The metrics line, or for an execution without metrics the published line. */
  finish: number;
  published: number;
  completed: number;
  released: number;
  /** Execution time after scheduling. */
  elapsedMs: number;
}

export interface InvoiceTimes {
  semReceived: number;
  acquired: number;
  created: number;
  released: number;
  paid: number;
}

function arrivals(rng: Rng, n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(rng.int(ARRIVAL_FIRST_MS, ARRIVAL_LAST_MS));
  a.sort((x, y) => x - y);
  // Bursts: a task often arrives right after the one before it (only ever pulled earlier: stays sorted).
  for (let i = 1; i < n; i++) {
    const pulled = a[i - 1]! + rng.int(80, 2_500);
    if (rng.chance(0.35) && pulled < a[i]!) a[i] = pulled;
  }
  return a;
}

export function scheduleExecutions(rng: Rng, plans: readonly ExecPlan[]): ExecTimes[] {
  const at = arrivals(rng, plans.length);
  const out: ExecTimes[] = [];
  let prevAcquired = 0;
  let prevStartLine = 0;
  let prevSemReceived = 0;
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i]!;
    // A task's id-less pre-slot lines (downloaded, message received) come before the next task arrives.
    const received = Math.max(at[i]!, prevSemReceived + rng.int(5, 80));
    const downloaded = plan.kind === 'function' ? received + rng.int(150, 1_500) : undefined;
    const semReceived = (downloaded ?? received) + rng.int(3, 60);
    let acquired = Math.max(semReceived + rng.int(1, 15), prevAcquired + 1);
    let startLine = 0;
    for (;;) {
      let busy = 0;
      let firstFree = Infinity;
      for (const t of out)
        if (t.acquired <= acquired && acquired < t.released) {
          busy++;
          firstFree = Math.min(firstFree, t.released);
        }
      if (busy >= SLOT_TOTAL) {
        acquired = firstFree + rng.int(1, 5);
        continue;
      }
      startLine = Math.max(acquired + rng.int(2, 30), prevStartLine + 1);
      const closing = out.find((t) => startLine >= t.finish - ROOM_MS && startLine <= t.completed);
      if (closing) {
        acquired = closing.completed + rng.int(2, 40);
        continue;
      }
      break;
    }
    let limit = DEADLINE_MS;
    for (const t of out)
      if (t.startLine < startLine && startLine < t.finish - ROOM_MS)
        limit = Math.min(limit, t.finish - NEST_MARGIN_MS);
    const spawn = rng.int(30, 250);
    const toPublish = rng.int(20, 250);
    const toComplete = rng.int(2, 40);
    let elapsedMs = plan.elapsedMs;
    const room = limit - startLine - spawn - toPublish - toComplete - 1;
    if (elapsedMs > room) elapsedMs = Math.max(5, room * (0.4 + 0.6 * rng.next()));
    const finish = startLine + spawn + Math.ceil(elapsedMs);
    const published = finish + toPublish;
    const completed = published + toComplete;
    const released = completed + rng.int(1, 8);
    out.push({
      received,
      downloaded,
      semReceived,
      acquired,
      startLine,
      finish,
      published,
      completed,
      released,
      elapsedMs,
    });
    prevAcquired = acquired;
    prevStartLine = startLine;
    prevSemReceived = semReceived;
  }
  return out;
}

/** Invoices for executions that completed at `completedAt` (ms), handled by a semaphore of their own. */
export function scheduleInvoices(rng: Rng, completedAt: readonly number[]): InvoiceTimes[] {
  const wanted = completedAt.map((c) => c + rng.int(2_000, 14_000));
  const order = wanted.map((_, i) => i).sort((x, y) => wanted[x]! - wanted[y]! || x - y);
  const out: InvoiceTimes[] = new Array<InvoiceTimes>(completedAt.length);
  const done: InvoiceTimes[] = [];
  let prevReceived = 0;
  let prevAcquired = 0;
  for (const i of order) {
    const semReceived = Math.max(wanted[i]!, prevReceived + 1);
    let acquired = Math.max(semReceived + rng.int(1, 20), prevAcquired + 1);
    for (;;) {
      const busy = done.filter((t) => t.acquired <= acquired && acquired < t.released);
      if (busy.length < SLOT_TOTAL) break;
      acquired = Math.min(...busy.map((t) => t.released)) + rng.int(1, 5);
    }
    const created = acquired + rng.int(150, 1_500);
    const released = created + rng.int(3, 40);
    const t = { semReceived, acquired, created, released, paid: released + rng.int(1_500, 7_000) };
    out[i] = t;
    done.push(t);
    prevReceived = semReceived;
    prevAcquired = acquired;
  }
  return out;
}
