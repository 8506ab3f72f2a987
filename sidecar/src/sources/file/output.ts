// What the file source hands out, and the one owner of what that takes: the lines read and not handed out yet,
// the cursor of the last line handed out, whether the source went live, and the backfill progress. Lines go out
// in batches (batchSize in source.ts), progress at most every 250 ms (a few events per second however fast the
// lines go). The readers tell it what happened (bytes read, a file finished, the backfill over); it decides
// what goes out.
import type { SourceState, Status } from '../../../../protocol/node-events.ts';
import type { LineCursor } from './cursor.ts';
import { batchFull, batchSize, type ReadEvent, type SourceEvent, type SourceLine } from '../source.ts';

const PROGRESS_MS = 250;

export type Events<R = void> = AsyncGenerator<ReadEvent, R>;

export class FileOutput {
  /** Lines read and not handed out yet: at most a batch plus the lines of one chunk. */
  private batch: SourceLine[] = [];
  private isLive = false;
  private delivered: string | undefined;
  /** Backfill progress: lines read, bytes of the files finished and of the one being read, and in all. */
  private entries = 0;
  private bytesDone = 0;
  private fileBytes = 0;
  private totalBytes = 0;
  private progressAt = 0;

  constructor(after: string | undefined) {
    this.delivered = after;
  }

  /** The cursor of the last line handed out (at first the one resumed after). */
  get lastCursor(): string | undefined {
    return this.delivered;
  }

  /** Whether the history is read and new text is followed. */
  get live(): boolean {
    return this.isLive;
  }

  /** Splits bytes read at the cursor's position into lines, which wait to go out; returns how many. */
  feed(cursor: LineCursor, bytes: Buffer): number {
    const lines = cursor.feed(bytes, this.batch);
    this.entries += lines;
    return lines;
  }

  /** The cursor's file is finished: its last line counts even without a line end. */
  endFile(cursor: LineCursor): void {
    this.entries += cursor.end(this.batch);
  }

  /** `bytes` more of the file being read were read (for the progress). */
  readBytes(bytes: number): void {
    this.fileBytes += bytes;
  }

  /** The file being read was read up to its `bytes`-th byte (a .log.gz: compressed bytes, like the total). */
  readUpTo(bytes: number): void {
    this.fileBytes = bytes;
  }

  /** The file being read is done: its bytes count among the finished files'. */
  fileDone(): void {
    this.bytesDone += this.fileBytes;
    this.fileBytes = 0;
  }

  /** The backfill starts with `totalBytes` to read (as on disk): its first progress status. */
  startBackfill(totalBytes: number): SourceEvent {
    this.totalBytes = totalBytes;
    return this.progress(false);
  }

  /** The history is read: every line waiting, the last progress status; from here on lines are live. */
  async *endBackfill(): Events {
    yield* this.flushAll();
    yield this.progress(true);
    this.isLive = true;
  }

  /** After a chunk: full batches, then a progress status when one is due (while backfilling). */
  async *chunkDone(): Events {
    yield* this.flush(false);
    if (this.isLive) return;
    if (Date.now() - this.progressAt >= PROGRESS_MS) yield this.progress(false);
  }

  /** Hands out every line waiting, in batches. */
  flushAll(): Events {
    return this.flush(true);
  }

  status(state: SourceState, detail?: string, extra: Partial<Status> = {}): SourceEvent {
    const status: Status = { source: 'file', state, ...extra };
    if (detail !== undefined) status.detail = detail.length > 500 ? `${detail.slice(0, 499)}…` : detail;
    return { type: 'status', status };
  }

  /** Hands out full batches, and with `all` the rest too. */
  private async *flush(all: boolean): Events {
    while (batchFull(this.batch) || (all && this.batch.length > 0)) {
      const size = batchSize(this.batch);
      let lines = this.batch;
      if (lines.length > size) lines = this.batch.splice(0, size);
      else this.batch = [];
      this.delivered = lines[lines.length - 1]!.cursor;
      yield { type: 'lines', lines, live: this.isLive };
    }
  }

  private progress(done: boolean): SourceEvent {
    this.progressAt = Date.now();
    const bytes = this.bytesDone + this.fileBytes;
    this.totalBytes = Math.max(this.totalBytes, bytes);
    const backfill = { entries: this.entries, bytes, totalBytes: this.totalBytes, done };
    return this.status('backfill', undefined, { backfill });
  }
}
