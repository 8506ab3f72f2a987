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
      if (this.executions.size > MAX_EXECUTIONS) this.drop(this.executions.keys().next().value as string);
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

  private drop(id: string): void {
    const execution = this.executions.get(id);
    this.executions.delete(id);
    if (!execution) return;
    if (!execution.finished) remove(this.active, execution);
    remove(this.unpublished, execution);
  }
}

/** Removes one item from a small array in place. */
function remove<T>(items: T[], item: T): void {
  const i = items.indexOf(item);
  if (i !== -1) items.splice(i, 1);
}
