// What the file source hands out: lines gathered into batches (batchSize in source.ts), backfill progress at
// most every 250 ms (a few events per second however fast the lines go), and status events.
import type { SourceState, Status } from '../../../../protocol/node-events.ts';
import { batchFull, batchSize, type SourceEvent, type SourceLine } from '../source.ts';

const PROGRESS_MS = 250;

export type Events<R = void> = AsyncGenerator<SourceEvent, R>;

export class FileOutput {
  /** Lines read and not handed out yet: at most a batch plus the lines of one chunk. */
  batch: SourceLine[] = [];
  live = false;
  /** The cursor of the last line handed out. */
  lastCursor: string | undefined;
  /** Backfill progress: lines read, bytes of the files finished and of the one being read, and in all. */
  entries = 0;
  bytesDone = 0;
  fileBytes = 0;
  totalBytes = 0;
  private progressAt = 0;

  constructor(after: string | undefined) {
    this.lastCursor = after;
  }

  /** Hands out full batches, and with `all` the rest too. */
  async *flush(all: boolean): Events {
    while (batchFull(this.batch) || (all && this.batch.length > 0)) {
      const size = batchSize(this.batch);
      let lines = this.batch;
      if (lines.length > size) lines = this.batch.splice(0, size);
      else this.batch = [];
      this.lastCursor = lines[lines.length - 1]!.cursor;
      yield { type: 'lines', lines, live: this.live };
    }
  }

  /** Full batches, then a progress status when one is due. */
  async *chunkDone(): Events {
    yield* this.flush(false);
    if (this.live) return;
    if (Date.now() - this.progressAt >= PROGRESS_MS) yield this.progress(false);
  }

  progress(done: boolean): SourceEvent {
    this.progressAt = Date.now();
    const bytes = this.bytesDone + this.fileBytes;
    this.totalBytes = Math.max(this.totalBytes, bytes);
    const backfill = { entries: this.entries, bytes, totalBytes: this.totalBytes, done };
    return this.status('backfill', undefined, { backfill });
  }

  status(state: SourceState, detail?: string, extra: Partial<Status> = {}): SourceEvent {
    const status: Status = { source: 'file', state, ...extra };
    if (detail !== undefined) status.detail = detail.length > 500 ? `${detail.slice(0, 499)}…` : detail;
    return { type: 'status', status };
  }
}
