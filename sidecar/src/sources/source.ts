// One interface for every place the runner's log text comes from: the Docker API, log files, the demo replay.
import type { SourceKind, Status } from '../../../protocol/node-events.ts';

/** One line of log text as the source read it, line ending removed. */
export interface SourceLine {
  /**
   * The line's position in the source: becomes the entry's id when the line starts an entry.
   * Cursors of one source compare as strings in log order (fixed-width fields), and reading the same log
   * again yields the same cursors.
   */
  cursor: string;
  /** The source's own timestamp of the line (Docker's), as UTC ISO-8601, when it has one. */
  ts?: string;
  stream: 'stdout' | 'stderr';
  text: string;
  /** The line was longer than the line limit and was cut. */
  truncated?: boolean;
}

export type SourceEvent =
  /** `live` is false while the source reads history (backfill), true once it follows new text. */
  { type: 'lines'; lines: SourceLine[]; live: boolean } | { type: 'status'; status: Status };

/** What a source's read yields: its lines and statuses, and where it keeps checkpoints, those. */
export type ReadEvent =
  | SourceEvent
  /**
   * Only to a reader that asked for checkpoints: every line before the next one was handed out, and the source
   * can start there again. `save` keeps the reader's state there (plain JSON; it is serialized at once).
   */
  | { type: 'checkpoint'; save(state: unknown): void }
  /**
   * The source starts from a checkpoint instead of reading the window before the resume cursor again: the
   * reader takes up the state saved there before the lines that follow.
   */
  | { type: 'restore'; state: unknown };

export interface ReadOptions {
  /**
   * Resume after this cursor. The source may deliver lines at or before it (it re-reads a window before it so
   * that correlation is rebuilt the same way, or starts at a checkpoint before it with a `restore` event): the
   * pipeline drops entries whose id is before it.
   */
  after?: string;
  signal: AbortSignal;
  /** Offer `checkpoint` events (the one reader that reads everything, the sidecar's own follower, asks). */
  checkpoints?: boolean;
}

export interface LogSource {
  readonly kind: SourceKind;
  /** A short human description (container name, directory, replay speed) for logs and /api/health. */
  readonly description: string;
  /**
   * Reads history, then follows, until the signal aborts. Pull-based: a consumer that stops pulling stops the
   * reading (backpressure), so a source never buffers more than a bounded batch ahead.
   */
  read(options: ReadOptions): AsyncIterable<ReadEvent>;
}

/** How far back before a resume cursor a source starts reading again, so correlation state is rebuilt. */
export const CORRELATION_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Lines per `lines` event at most: bounds what a source holds and what one SSE batch carries. */
export const MAX_BATCH_LINES = 500;

/** Characters of text per `lines` event at most (lines can be 64 KiB long: 500 of them would be 32 MB). */
export const MAX_BATCH_CHARS = 512 * 1024;

/** How many lines from the front of `lines` make one batch: within both limits, and at least one. */
export function batchSize(lines: readonly SourceLine[]): number {
  const n = Math.min(lines.length, MAX_BATCH_LINES);
  let chars = 0;
  for (let i = 0; i < n; i++) {
    chars += lines[i]!.text.length;
    if (chars >= MAX_BATCH_CHARS) return i + 1;
  }
  return n;
}

/** True when `lines` hold a full batch or more. */
export function batchFull(lines: readonly SourceLine[]): boolean {
  return (
    lines.length >= MAX_BATCH_LINES || batchSize(lines) < lines.length || charsOf(lines) >= MAX_BATCH_CHARS
  );
}

function charsOf(lines: readonly SourceLine[]): number {
  let chars = 0;
  for (const line of lines) chars += line.text.length;
  return chars;
}
