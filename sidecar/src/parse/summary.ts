// The summary of a parsed log (`npm run parse -- <file> --summary`): one record per execution and invoice,
// and the count of entries per kind.
import type { Entry, Outcome, TaskKind } from '../../../protocol/node-events.ts';

export interface TaskSummary {
  executionId: string;
  /** Absent while the log does not state how the execution ended (e.g. its metrics JSON was cut). */
  status?: Outcome;
  exitCode?: number;
  elapsedMs?: number;
  steps?: number;
  memoryPeak?: number;
  cached?: boolean;
  chainId?: string;
  blockNumber?: number;
  kind: TaskKind;
}

export interface LogSummary {
  tasks: TaskSummary[];
  invoices: { invoiceId?: string; executionId?: string; steps?: number }[];
  kinds: Record<string, number>;
}

/** Folds entries into a summary; memory grows with the number of executions and invoices, not entries. */
export class Summarizer {
  private readonly tasks = new Map<string, TaskSummary>();
  private readonly invoices: LogSummary['invoices'] = [];
  private readonly kinds = new Map<string, number>();

  add(entry: Entry): void {
    this.kinds.set(entry.kind, (this.kinds.get(entry.kind) ?? 0) + 1);
    if (entry.kind === 'invoice' && entry.invoice) {
      const { invoiceId, executionId, steps } = entry.invoice;
      this.invoices.push({ invoiceId, executionId, steps });
    }
    const id = entry.executionId;
    if (!id || !entry.kind.startsWith('task.')) return;
    let task = this.tasks.get(id);
    if (!task) {
      task = { executionId: id, kind: 'function' };
      this.tasks.set(id, task);
    }
    if (entry.outcome) task.status = entry.outcome;
    const t = entry.task;
    if (t?.chainId) task.chainId = t.chainId;
    if (t?.blockNumber !== undefined) task.blockNumber = t.blockNumber;
    if (t?.kind) task.kind = t.kind;
    const m = entry.metrics;
    if (m) {
      if (m.exitCode !== undefined) task.exitCode = m.exitCode;
      if (m.elapsedMs !== undefined) task.elapsedMs = m.elapsedMs;
      if (m.steps !== undefined) task.steps = m.steps;
      if (m.memoryPeak !== undefined) task.memoryPeak = m.memoryPeak;
      if (m.cached !== undefined) task.cached = m.cached;
    }
  }

  result(): LogSummary {
    return {
      tasks: [...this.tasks.values()],
      invoices: this.invoices,
      kinds: Object.fromEntries(this.kinds),
    };
  }
}
