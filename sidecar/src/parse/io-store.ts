// The task input and output taken out of the stream by redaction, kept in memory for recent executions only,
// so GET /api/tasks/:executionId/io can hand them to a caller with the task-data password. Bounded in count
// and bytes; the oldest go first.

export const MAX_IO_EXECUTIONS = 500;
export const MAX_IO_BYTES = 16 * 1024 * 1024;

export interface TaskIo {
  input?: string;
  output?: string;
}

export class IoStore {
  private readonly items = new Map<string, TaskIo>();
  private bytes = 0;

  constructor(
    private readonly maxExecutions = MAX_IO_EXECUTIONS,
    private readonly maxBytes = MAX_IO_BYTES,
  ) {}

  get(executionId: string): TaskIo | undefined {
    return this.items.get(executionId);
  }

  /** Keeps `value`, the oldest going first past the bounds; a value that alone exceeds them is not kept. */
  put(executionId: string, role: 'input' | 'output', value: string): void {
    const current = this.items.get(executionId) ?? {};
    // Checked before anything is evicted: such a value would evict every other execution's, then itself. An
    // earlier value of the role (an entry sent before its last lines) is not kept in its place either.
    if (size({ ...current, [role]: value }) > this.maxBytes) {
      this.forget(executionId, role);
      return;
    }
    this.remove(executionId);
    current[role] = value;
    this.items.set(executionId, current);
    this.bytes += size(current);
    while (this.items.size > this.maxExecutions || this.bytes > this.maxBytes) {
      this.remove(this.items.keys().next().value as string);
    }
  }

  private forget(executionId: string, role: 'input' | 'output'): void {
    const item = this.items.get(executionId);
    if (item?.[role] === undefined) return;
    this.bytes -= size(item);
    delete item[role];
    if (item.input === undefined && item.output === undefined) this.items.delete(executionId);
    else this.bytes += size(item);
  }

  private remove(executionId: string): void {
    const item = this.items.get(executionId);
    if (!item) return;
    this.bytes -= size(item);
    this.items.delete(executionId);
  }
}

function size(io: TaskIo): number {
  return (io.input?.length ?? 0) * 2 + (io.output?.length ?? 0) * 2;
}
