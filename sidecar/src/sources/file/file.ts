// The file source (`SOURCE=file:<dir>`): the runner's own log files, e.g.
// /app/logs/@truebit/worker-runner-node-<addr>/debug/ with the current day's `*.log` and older days as `*.log.gz`.
//
// Cursors are `f.<YYYY-MM-DD>.<gen>.<offset>` (see cursor.ts): a day's `.log` and its later `.log.gz` give
// the same ones. History is read first (backfill, gz days then .log days, in date order), then the current `.log`
// is followed by polling (an fs.watch on the directory only wakes the poll early) through daily rotation and
// in-place truncation. Lines carry no `ts`: the files have no timestamps of their own besides the runner's.
// With a checkpoint store, a resume in the current file starts at the last valid checkpoint before its cursor
// (the reader's state saved there comes first, as a `restore` event) instead of reading the day before again.
import type { CheckpointStore } from './checkpoint-store.ts';
import { FileSession } from './session.ts';
import { Waker } from './wait.ts';
import type { LogSource, ReadEvent, ReadOptions } from '../source.ts';

export interface FileSourceOptions {
  dir: string;
  /** How often to look for appended bytes and new files, in ms. */
  pollMs?: number;
  /** Checkpoints to resume from, and to keep for the reader that asks for them (checkpoint-store.ts). */
  checkpoints?: CheckpointStore;
}

/** After an unexpected failure, the source starts again (resuming after its last line) this much later. */
const RESTART_MS = 5000;

export class FileSource implements LogSource {
  readonly kind = 'file' as const;
  readonly description: string;
  private readonly dir: string;
  private readonly pollMs: number;
  private readonly checkpoints: CheckpointStore | undefined;

  constructor(options: FileSourceOptions) {
    this.dir = options.dir;
    this.pollMs = Math.max(1, options.pollMs ?? 250);
    this.description = `log files in ${options.dir}`;
    this.checkpoints = options.checkpoints;
  }

  async *read({ after, signal, checkpoints }: ReadOptions): AsyncGenerator<ReadEvent> {
    let resume = after;
    const store = this.checkpoints;
    while (!signal.aborted) {
      const session = new FileSession(
        this.dir,
        this.pollMs,
        resume,
        signal,
        store && { store, offer: checkpoints === true },
      );
      try {
        yield* session.run();
        return;
      } catch (error) {
        // Operational errors are reported where they happen; this is the net for the rest (an I/O error mid-read).
        if (signal.aborted) return;
        resume = session.lastCursor;
        const reason = (error as Error)?.message ?? String(error);
        const detail = `Reading ${this.dir} failed (${reason}); starting again`.slice(0, 500);
        yield { type: 'status', status: { source: 'file', state: 'error', detail, retryInMs: RESTART_MS } };
        const waker = new Waker(signal);
        await waker.wait(RESTART_MS);
      }
    }
  }
}
