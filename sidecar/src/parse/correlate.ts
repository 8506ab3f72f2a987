// Attributes entries to executions and decides when an execution is finished (runner-node-logs.md,
// "Correlation"):
// 1. a line that names its executionId belongs to it;
// 2. metrics and stderr without an id belong to the most recently started execution without metrics, else to
//    the most recently received one without metrics; a start without an id to the most recently received one
//    not started yet; a download to the execution of that task path; a publish to the latest finished one;
// 3. metrics with an exit code finish their execution (0 → completed, else failed); a completion line finishes
//    one that is not finished yet; the finishing entry carries `outcome`. The runner writes its completion
//    line for failed executions too, so after metrics whose JSON could not be read (cut, capped) it says
//    nothing of the outcome: such an execution stays open until a line states it (readable metrics with an
//    exit code, a failure line) or ages out, and no entry invents an outcome for it;
// 4. state is bounded: executions older than a day (by log time) are dropped, and at most MAX_EXECUTIONS kept.
// The state is a pure function of the entries read, so reading the same log again gives the same result.
import type { Entry, Outcome } from '../../../protocol/node-events.ts';
import { isoMs } from './iso-time.ts';

export const EXECUTION_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_EXECUTIONS = 2000;
/** Unfinished executions that can receive a line without an id (a node runs a handful at once). */
export const MAX_ACTIVE = 256;

interface Execution {
  id: string;
  seenAtMs: number;
  path?: string;
  started: boolean;
  /** Order of starting, for "the most recently started". */
  startSeq: number;
  /** Order of the latest start or metrics line, for "the execution whose outcome is being published". */
  activitySeq: number;
  hasMetrics: boolean;
  /** Its latest metrics announced JSON that could not be read: the exit code, if any, is lost. */
  metricsUnreadable: boolean;
  finished: boolean;
  /** The outcome and the id of the entry that decided it (that entry may be sent again, longer). */
  outcome?: Outcome;
  finishedBy?: string;
}

export class Correlator {
  /** In order of first sight: the oldest first, so ageing out walks from the front. */
  private readonly executions = new Map<string, Execution>();
  /**
   * The map's keys from the oldest on, kept from one drop to the next: a new iterator would walk over every key
   * deleted since the map last compacted itself (about a thousand at 2 000 executions) to find the first.
   */
  private oldest: Iterator<string> | undefined;
  /** Unfinished executions in order of first sight. */
  private readonly active: Execution[] = [];
  /** Started executions with neither a publish nor a completion line yet. */
  private readonly unpublished: Execution[] = [];
  private startSeq = 0;
  private activitySeq = 0;
  /** The execution of the last entry, for that entry emitted again with more lines. */
  private lastExecutionId: string | undefined;

  get size(): number {
    return this.executions.size;
  }

  private lastTs = '';
  /** When the oldest execution was first seen: nothing to age out before a day after it. */
  private oldestSeenAtMs = Infinity;
  private lastMs = 0;

  /**
   * Attributes `entry`; `again` says it is the last entry once more, with more continuation lines;
   * `unreadableJson` that it announced JSON that could not be parsed.
   */
  apply(entry: Entry, again = false, unreadableJson = false): void {
    if (entry.ts !== this.lastTs) {
      const ms = isoMs(entry.ts);
      this.lastTs = entry.ts;
      if (!Number.isNaN(ms)) {
        this.lastMs = ms;
        this.age(ms);
      }
    }
    const nowMs = this.lastMs;
    if (again && this.lastExecutionId && !entry.executionId) entry.executionId = this.lastExecutionId;
    const execution = this.attribute(entry, nowMs);
    if (execution) {
      entry.executionId = execution.id;
      this.finish(entry, execution, unreadableJson);
    }
    this.lastExecutionId = entry.executionId;
  }

  private attribute(entry: Entry, nowMs: number): Execution | undefined {
    const named = entry.executionId;
    switch (entry.kind) {
      case 'task.received': {
        if (!named) return undefined;
        const execution = this.get(named, nowMs);
        if (entry.task?.path) execution.path = entry.task.path;
        return execution;
      }
      case 'task.started': {
        const execution = named ? this.get(named, nowMs) : this.latest((e) => !e.started);
        if (execution && !execution.started) {
          execution.started = true;
          execution.startSeq = ++this.startSeq;
          execution.activitySeq = ++this.activitySeq;
          this.unpublished.push(execution);
          if (this.unpublished.length > 16) this.unpublished.shift();
        }
        return execution;
      }
      case 'task.metrics':
      case 'task.stderr':
        return named ? this.get(named, nowMs) : (this.latestStarted() ?? this.latest((e) => !e.hasMetrics));
      case 'task.downloaded': {
        const path = entry.task?.path;
        return this.latest((e) => e.path === path && !e.started) ?? this.latest((e) => !e.started);
      }
      case 'task.published': {
        // The runner publishes an outcome after the execution's metrics and before its completion line.
        let found: Execution | undefined;
        for (const e of this.unpublished) if (!found || e.activitySeq > found.activitySeq) found = e;
        if (found) remove(this.unpublished, found);
        return found;
      }
      case 'task.completed':
      case 'task.failed': {
        if (!named) return undefined;
        const execution = this.get(named, nowMs);
        remove(this.unpublished, execution);
        return execution;
      }
      case 'invoice':
        return named ? this.get(named, nowMs) : undefined;
      default:
        return named ? this.executions.get(named) : undefined;
    }
  }

  private finish(entry: Entry, execution: Execution, unreadableJson: boolean): void {
    if (execution.finished) {
      if (execution.finishedBy === entry.id) entry.outcome = execution.outcome;
      return;
    }
    let outcome: Outcome | undefined;
    if (entry.kind === 'task.metrics') {
      execution.hasMetrics = true;
      execution.activitySeq = ++this.activitySeq;
      execution.metricsUnreadable = unreadableJson;
      const exitCode = entry.metrics?.exitCode;
      if (exitCode !== undefined) outcome = exitCode === 0 ? 'completed' : 'failed';
    } else if (entry.kind === 'task.completed') {
      if (!execution.metricsUnreadable) outcome = 'completed';
    } else if (entry.kind === 'task.failed') outcome = 'failed';
    if (outcome) {
      execution.finished = true;
      execution.outcome = outcome;
      execution.finishedBy = entry.id;
      entry.outcome = outcome;
      remove(this.active, execution);
    }
  }

  private get(id: string, nowMs: number): Execution {
    let execution = this.executions.get(id);
    if (!execution) {
      execution = {
        id,
        seenAtMs: nowMs,
        started: false,
        startSeq: 0,
        activitySeq: 0,
        hasMetrics: false,
        metricsUnreadable: false,
        finished: false,
      };
      this.executions.set(id, execution);
      if (this.executions.size === 1) this.oldestSeenAtMs = nowMs;
      this.active.push(execution);
      if (this.active.length > MAX_ACTIVE) this.active.shift();
      if (this.executions.size > MAX_EXECUTIONS)
        this.drop((this.oldest ??= this.executions.keys()).next().value as string);
    }
    return execution;
  }

  /** The most recently seen unfinished execution that satisfies `test`. */
  private latest(test: (e: Execution) => boolean): Execution | undefined {
    for (let i = this.active.length - 1; i >= 0; i--) if (test(this.active[i]!)) return this.active[i];
    return undefined;
  }

  /** The most recently started unfinished execution without metrics. */
  private latestStarted(): Execution | undefined {
    let found: Execution | undefined;
    for (const e of this.active)
      if (e.started && !e.hasMetrics && (!found || e.startSeq > found.startSeq)) found = e;
    return found;
  }

  private age(nowMs: number): void {
    if (nowMs - this.oldestSeenAtMs <= EXECUTION_TTL_MS) return;
    this.oldestSeenAtMs = Infinity;
    for (const [id, e] of this.executions) {
      if (nowMs - e.seenAtMs <= EXECUTION_TTL_MS) {
        this.oldestSeenAtMs = e.seenAtMs;
        break;
      }
      this.drop(id);
    }
  }

  /** A copy of the state, to carry on later from here exactly as if everything before had been read again. */
  snapshot(): CorrelatorState {
    // The lists hold the map's objects; an index per object keeps them the same objects after a restore.
    const index = new Map<Execution, number>();
    const executions: ExecutionRow[] = [];
    const indexOf = (e: Execution): number => {
      let i = index.get(e);
      if (i === undefined) {
        i = executions.length;
        index.set(e, i);
        executions.push(toRow(e));
      }
      return i;
    };
    return {
      map: [...this.executions.values()].map(indexOf),
      active: this.active.map(indexOf),
      unpublished: this.unpublished.map(indexOf),
      executions,
      startSeq: this.startSeq,
      activitySeq: this.activitySeq,
      lastExecutionId: this.lastExecutionId ?? null,
      lastTs: this.lastTs,
      oldestSeenAtMs: Number.isFinite(this.oldestSeenAtMs) ? this.oldestSeenAtMs : null,
      lastMs: this.lastMs,
    };
  }

  /** A correlator in the state `snapshot()` gave. */
  static restore(state: CorrelatorState): Correlator {
    const c = new Correlator();
    const objects = state.executions.map(fromRow);
    for (const i of state.map) c.executions.set(objects[i]!.id, objects[i]!);
    for (const i of state.active) c.active.push(objects[i]!);
    for (const i of state.unpublished) c.unpublished.push(objects[i]!);
    c.startSeq = state.startSeq;
    c.activitySeq = state.activitySeq;
    c.lastExecutionId = state.lastExecutionId ?? undefined;
    c.lastTs = state.lastTs;
    c.oldestSeenAtMs = state.oldestSeenAtMs ?? Infinity;
    c.lastMs = state.lastMs;
    return c;
  }

  private drop(id: string): void {
    const execution = this.executions.get(id);
    this.executions.delete(id);
    if (!execution) return;
    if (!execution.finished) remove(this.active, execution);
    remove(this.unpublished, execution);
  }
}

/** An execution as a row (a day's 2 000 of them as objects would be twice the JSON). */
type ExecutionRow = [
  id: string,
  seenAtMs: number,
  path: string | null,
  started: 0 | 1,
  startSeq: number,
  activitySeq: number,
  hasMetrics: 0 | 1,
  finished: 0 | 1,
  outcome: Outcome | null,
  finishedBy: string | null,
  metricsUnreadable: 0 | 1,
];

const toRow = (e: Execution): ExecutionRow => [
  e.id,
  e.seenAtMs,
  e.path ?? null,
  e.started ? 1 : 0,
  e.startSeq,
  e.activitySeq,
  e.hasMetrics ? 1 : 0,
  e.finished ? 1 : 0,
  e.outcome ?? null,
  e.finishedBy ?? null,
  e.metricsUnreadable ? 1 : 0,
];

function fromRow(r: ExecutionRow): Execution {
  const e: Execution = {
    id: r[0],
    seenAtMs: r[1],
    started: r[3] === 1,
    startSeq: r[4],
    activitySeq: r[5],
    hasMetrics: r[6] === 1,
    finished: r[7] === 1,
    metricsUnreadable: r[10] === 1,
  };
  if (r[2] !== null) e.path = r[2];
  if (r[8] !== null) e.outcome = r[8];
  if (r[9] !== null) e.finishedBy = r[9];
  return e;
}

/** The correlator's whole state as plain JSON: executions in order of first sight, lists as indexes into them. */
export interface CorrelatorState {
  executions: ExecutionRow[];
  /** Indexes into `executions`: the map's keys in order, then the active and the unpublished lists. */
  map: number[];
  active: number[];
  unpublished: number[];
  startSeq: number;
  activitySeq: number;
  lastExecutionId: string | null;
  lastTs: string;
  /** Null for none (Infinity is not JSON). */
  oldestSeenAtMs: number | null;
  lastMs: number;
}

/** Removes one item from a small array in place. */
function remove<T>(items: T[], item: T): void {
  const i = items.indexOf(item);
  if (i !== -1) items.splice(i, 1);
}
