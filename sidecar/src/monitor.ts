// The sidecar's own follower of the source: reads the whole log once and then follows it, to answer
// /api/status and /api/health (node state, slots, counts) and to keep recent task data for /api/tasks/:id/io.
// Clients of /api/events read the source on their own, from their own cursors. It reads everything, so it is
// the one that keeps checkpoints of what it read (where a source offers them) for those clients to resume from.
import type { Entry, Status, TaskKind } from '../../protocol/node-events.ts';
import type { NodeHealth } from '../../protocol/node-health.ts';
import { DEFAULT_THRESHOLDS, type HealthThresholds } from './health/judge.ts';
import { HealthTracker } from './health/tracker.ts';
import { IoStore } from './parse/io-store.ts';
import { EntryParser } from './parse/parser.ts';
import { pipeline } from './pipeline.ts';
import type { LogSource } from './sources/source.ts';

/** Open executions remembered for the counts: far more than the runner's slots ever hold at once. */
const MAX_OPEN = 10_000;

export interface NodeSnapshot {
  source: { kind: string; description: string; state: Status['state']; detail?: string };
  container?: Status['container'];
  backfill?: Status['backfill'];
  runner: { version?: string; address?: string; lastEntryAt?: string };
  slots: { active?: number; total?: number; at?: string };
  counts: {
    entries: number;
    /** Tasks received since `since`, and how many of those completed and failed (never more than received). */
    tasks: TaskCounts;
    /** The same by kind of task (a task the log gives no kind is a function call). */
    tasksByKind: Record<TaskKind, TaskCounts>;
    invoices: number;
    byKind: Record<string, number>;
    raw: number;
    unrecognised: number;
    truncated: number;
    jsonErrors: number;
  };
  /** The first entry's time: counts are over the log from then on. */
  since?: string;
  health: NodeHealth;
}

export interface TaskCounts {
  received: number;
  completed: number;
  failed: number;
}

const noTasks = (): TaskCounts => ({ received: 0, completed: 0, failed: 0 });

export class NodeMonitor {
  readonly io = new IoStore();
  private readonly parser = new EntryParser(this.io);
  private readonly controller = new AbortController();
  private status: Status;
  private runner: NodeSnapshot['runner'] = {};
  private slots: NodeSnapshot['slots'] = {};
  private tasks = noTasks();
  private tasksByKind: Record<TaskKind, TaskCounts> = { function: noTasks(), api: noTasks() };
  private readonly listeners: ((entry: Entry) => void)[] = [];
  private readonly statusListeners: ((status: Status) => void)[] = [];
  /**
   * Executions received and not finished yet. An outcome counts only for one of these: a log (or the demo's
   * history window) that begins during a task holds its outcome without its receipt, and counting that outcome
   * made completed + failed exceed received.
   */
  private readonly open = new Map<string, TaskKind>();
  private since: string | undefined;
  private lastId: string | undefined;
  private done: Promise<void> | undefined;

  private readonly health: HealthTracker;

  constructor(
    private readonly source: LogSource,
    private readonly onStatus: (status: Status) => void = () => {},
    thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    now: () => number = Date.now,
  ) {
    this.status = { source: source.kind, state: 'connecting' };
    this.health = new HealthTracker(this.status, thresholds, now);
  }

  start(): void {
    this.done ??= this.run().catch((error: unknown) => {
      this.status = { source: this.source.kind, state: 'error', detail: `monitor stopped: ${String(error)}` };
      console.error(`truwatch: ${this.status.detail}`);
    });
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
  }

  /** Calls `listener` with every entry, once (not again when it comes back with more lines). */
  onEntry(listener: (entry: Entry) => void): void {
    this.listeners.push(listener);
  }

  /** Calls `listener` with every status of the source. */
  onStatusChange(listener: (status: Status) => void): void {
    this.statusListeners.push(listener);
  }

  get state(): Status {
    return this.status;
  }

  snapshot(): NodeSnapshot {
    const c = this.parser.counters;
    const s = this.status;
    const snapshot: NodeSnapshot = {
      source: { kind: this.source.kind, description: this.source.description, state: s.state },
      runner: { ...this.runner },
      slots: { ...this.slots },
      counts: {
        entries: c.entries,
        tasks: { ...this.tasks },
        tasksByKind: { function: { ...this.tasksByKind.function }, api: { ...this.tasksByKind.api } },
        invoices: c.byKind.invoice ?? 0,
        byKind: { ...c.byKind },
        raw: c.raw,
        unrecognised: c.unrecognised,
        truncated: c.truncated,
        jsonErrors: c.jsonErrors,
      },
      health: this.health.health(),
    };
    if (s.detail) snapshot.source.detail = s.detail;
    if (s.container) snapshot.container = s.container;
    if (s.backfill) snapshot.backfill = s.backfill;
    if (this.since) snapshot.since = this.since;
    return snapshot;
  }

  private async run(): Promise<void> {
    for await (const event of pipeline({
      source: this.source,
      signal: this.controller.signal,
      parser: this.parser,
      checkpoints: true,
    })) {
      if (event.type === 'status') {
        this.status = event.status;
        this.health.observeStatus(event.status);
        for (const listener of this.statusListeners) listener(event.status);
        this.onStatus(event.status);
      } else for (const entry of event.entries) this.observe(entry);
    }
  }

  private observe(entry: Entry): void {
    // The same entry again with more lines (or the resume boundary): update, but count it once.
    const again = entry.id === this.lastId;
    this.lastId = entry.id;
    if (!again) {
      this.health.observeEntry(entry);
      for (const listener of this.listeners) listener(entry);
    }
    this.since ??= entry.ts;
    this.runner.lastEntryAt = entry.ts;
    if (entry.component === 'worker-runner-node') {
      if (entry.version) this.runner.version = entry.version;
      if (entry.address) this.runner.address = entry.address;
    }
    if (entry.slots?.active !== undefined) {
      this.slots = { active: entry.slots.active, total: entry.slots.total, at: entry.ts };
    }
    const id = entry.executionId;
    if (entry.kind === 'task.received' && !again) {
      const kind = entry.task?.kind ?? 'function';
      this.tasks.received++;
      this.tasksByKind[kind].received++;
      if (id) this.remember(id, kind);
    }
    // Counted once per execution, also when the outcome comes with a later version of the same entry.
    const kind = id === undefined ? undefined : this.open.get(id);
    if (!entry.outcome || !id || !kind) return;
    this.open.delete(id);
    this.health.observeOutcome(entry);
    this.tasks[entry.outcome]++;
    this.tasksByKind[kind][entry.outcome]++;
  }

  private remember(id: string, kind: TaskKind): void {
    this.open.delete(id);
    this.open.set(id, kind);
    // The oldest open ones go first: tasks never finished (the correlator drops them after a day anyway).
    if (this.open.size > MAX_OPEN) this.open.delete(this.open.values().next().value!);
  }
}
