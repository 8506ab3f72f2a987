// What one connection has read but not yet written: the reader decodes ahead of the writer, by a bounded amount,
// so IndexedDB gets few large transactions (each costs a fixed price) while the next events are parsed and
// checked. Items are written in order; consecutive entries go together, up to `maxWrite`. The bound is the
// backpressure: the reader waits for room, so a slow database still slows the sidecar down.
import type { Entry, Status } from '../../../../../protocol/node-events.ts';

export type QueueItem =
  | { type: 'entries'; live: boolean; entries: Entry[]; cursor: string | undefined; size: number }
  | { type: 'status'; status: Status; size: number };

export interface QueueLimits {
  /** Entries per write (one transaction) at most. */
  maxWrite: number;
  /** Entries waiting at most (the reader waits beyond). */
  maxEntries: number;
  /** Characters of event data waiting at most. */
  maxChars: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxWrite: 4_000, maxEntries: 8_000, maxChars: 4 << 20 };

export interface QueueWriter {
  entries(entries: Entry[], cursor: string | undefined, live: boolean): Promise<void>;
  status(status: Status): Promise<void>;
}

export class WriteQueue {
  private readonly items: QueueItem[] = [];
  private queuedEntries = 0;
  private queuedChars = 0;
  private writing: Promise<void> | undefined;
  private closed = false;
  private error: unknown;
  private hasError = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly writer: QueueWriter,
    private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS,
    /** Called once with the first write failure; nothing is written after it. */
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** True while something waits or is being written. */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  /** Adds the events of one chunk; the writer starts on them once they are all in (so they can go together). */
  push(items: QueueItem[]): void {
    if (this.closed || !items.length) return;
    for (const item of items) {
      this.items.push(item);
      if (item.type === 'entries') this.queuedEntries += item.entries.length;
      this.queuedChars += item.size;
    }
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      this.wakeAll();
    });
  }

  /** Resolves once the queue is under its bounds; rejects with the write failure, if one happened. */
  async room(): Promise<void> {
    while (
      !this.hasError &&
      (this.queuedEntries >= this.limits.maxEntries || this.queuedChars >= this.limits.maxChars)
    )
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.hasError) throw this.error;
  }

  /** Resolves once everything pushed is written; rejects with the write failure, if one happened. */
  async drained(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.hasError) throw this.error;
  }

  /** Drops what waits and resolves once the write under way (if any) has ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.items.length = 0;
    this.queuedEntries = this.queuedChars = 0;
    this.wakeAll();
    await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.items.length && !this.closed && !this.hasError) {
      const first = this.items[0]!;
      try {
        if (first.type === 'status') {
          this.take(1);
          await this.writer.status(first.status);
          continue;
        }
        let n = 0;
        let count = 0;
        while (n < this.items.length) {
          const item = this.items[n]!;
          if (item.type !== 'entries' || (n > 0 && count + item.entries.length > this.limits.maxWrite)) break;
          count += item.entries.length;
          n++;
        }
        const group = this.take(n) as Extract<QueueItem, { type: 'entries' }>[];
        const entries = group.length === 1 ? group[0]!.entries : group.flatMap((item) => item.entries);
        const cursor = group.findLast((item) => item.cursor !== undefined)?.cursor;
        await this.writer.entries(entries, cursor, group.at(-1)!.live);
      } catch (error) {
        this.hasError = true;
        this.error = error;
        this.onError(error);
      }
    }
  }

  private take(n: number): QueueItem[] {
    const taken = this.items.splice(0, n);
    for (const item of taken) {
      if (item.type === 'entries') this.queuedEntries -= item.entries.length;
      this.queuedChars -= item.size;
    }
    this.wakeAll();
    return taken;
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
