// The demo source: an endless, deterministic runner-node log generated block by block (sidecar/src/demo),
// anchored at a fixed epoch so that it always ends near "now": block b's lines happen at
// REPLAY_EPOCH_MS + (b * BLOCK_MS + offsetMs) / speed. It backfills the last hours, then emits each line when
// the clock reaches it. No runner-node, no Docker, no files.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '../../../protocol/node-events.ts';
import {
  BLOCK_MS,
  DEFAULT_ADDRESS,
  DEFAULT_SEED,
  generateBlock,
  type GeneratedLine,
} from '../demo/generator.ts';
import {
  CORRELATION_WINDOW_MS,
  MAX_BATCH_LINES,
  type LogSource,
  type ReadOptions,
  type SourceEvent,
  type SourceLine,
} from './source.ts';

/** Block 0 starts here; the replay has no lines before it. */
export const REPLAY_EPOCH_MS = Date.UTC(2026, 0, 1);
/** The longest live wait before the clock is read again (so a changed clock is noticed). */
const MAX_WAIT_MS = 1_000;
/** A backfill progress status every this many batches. */
const STATUS_EVERY_BATCHES = 20;

export interface ReplayOptions {
  /** Virtual seconds per second: 1 is the real pace (a task every ~30 s). */
  speed?: number;
  /** How much history a fresh read backfills. */
  historyHours?: number;
  seed?: number;
  /** The worker address shown in the generated lines. */
  address?: string;
  /** The clock (ms since the epoch); tests pass a fake one. */
  now?: () => number;
}

export interface ReplayPosition {
  block: number;
  index: number;
}

/** `r.<block, 10 digits>.<line index in the block, 4 digits>`: compares as a string in log order. */
export function replayCursor(block: number, index: number): string {
  return `r.${String(block).padStart(10, '0')}.${String(index).padStart(4, '0')}`;
}

export function parseReplayCursor(cursor: string): ReplayPosition | undefined {
  const m = /^r\.(\d{10})\.(\d{4})$/.exec(cursor);
  return m ? { block: Number(m[1]), index: Number(m[2]) } : undefined;
}

/** A line that starts an entry (the runner's timestamp first), as opposed to a continuation line. */
function startsEntry(text: string): boolean {
  const c = text.charCodeAt(0);
  return c >= 48 && c <= 57 && text.charCodeAt(4) === 45 && text.charCodeAt(10) === 32;
}

function formatSpeed(speed: number): string {
  return `${Number(speed.toPrecision(6))}×`;
}

export class ReplaySource implements LogSource {
  readonly kind = 'replay' as const;
  readonly description: string;
  readonly speed: number;
  private readonly historyMs: number;
  private readonly seed: number;
  private readonly address: string;
  private readonly now: () => number;
  private readonly detail: string;

  constructor(options: ReplayOptions = {}) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed))
      throw new Error(`replay speed must be > 0, not ${this.speed}`);
    this.historyMs = Math.max(0, (options.historyHours ?? 24) * 3_600_000);
    this.seed = options.seed ?? DEFAULT_SEED;
    this.address = options.address ?? DEFAULT_ADDRESS;
    this.now = options.now ?? Date.now;
    this.description = `demo replay at ${formatSpeed(this.speed)} speed`;
    this.detail = `${this.description} (generated log, no runner-node needed)`;
  }

  /** The lines of one block, exactly as every read of this source sees them. */
  block(block: number): GeneratedLine[] {
    return generateBlock(block, {
      seed: this.seed,
      address: this.address,
      startMs: REPLAY_EPOCH_MS,
      speed: this.speed,
    }).lines;
  }

  /** Wall-clock ms at which a line of a block is emitted. */
  lineTime(block: number, offsetMs: number): number {
    return REPLAY_EPOCH_MS + (block * BLOCK_MS + offsetMs) / this.speed;
  }

  async *read({ after, signal }: ReadOptions): AsyncGenerator<SourceEvent> {
    const now = this.now();
    const resume = after === undefined ? undefined : parseReplayCursor(after);
    let from: number;
    if (resume) {
      const at = this.positionTime(resume);
      // Re-read a correlation window before the cursor; a cursor from the future (clock changed): live only.
      from = at > now ? now : Math.max(at - CORRELATION_WINDOW_MS, REPLAY_EPOCH_MS);
    } else from = Math.max(now - this.historyMs, REPLAY_EPOCH_MS);

    const walk = new Walker(this, from);
    const status = (state: 'backfill' | 'live', entries: number): SourceEvent => ({
      type: 'status',
      status: {
        source: 'replay',
        state,
        detail: this.detail,
        backfill: { entries, done: state === 'live' },
      } satisfies Status,
    });

    // Backfill: everything up to the moment the read began, as fast as the consumer pulls.
    let entries = 0;
    let batches = 0;
    if (walk.time() <= now) {
      yield status('backfill', 0);
      while (!signal.aborted && walk.time() <= now) {
        const lines = walk.take(now);
        for (const line of lines) if (startsEntry(line.text)) entries++;
        yield { type: 'lines', lines, live: false };
        if (++batches % STATUS_EVERY_BATCHES === 0 && walk.time() <= now) yield status('backfill', entries);
      }
    }
    if (signal.aborted) return;
    yield status('live', entries);

    // Live: each line when the clock reaches it, in batches of whatever is due.
    while (!signal.aborted) {
      const current = this.now();
      if (walk.time() <= current) {
        yield { type: 'lines', lines: walk.take(current), live: true };
        continue;
      }
      try {
        await sleep(Math.min(MAX_WAIT_MS, Math.max(1, Math.ceil(walk.time() - current))), undefined, {
          signal,
        });
      } catch {
        return; // aborted
      }
    }
  }

  /** The time of the line a cursor names (the block's end when the index is past its last line). */
  private positionTime({ block, index }: ReplayPosition): number {
    const line = this.block(block)[index];
    return this.lineTime(block, line ? line.offsetMs : BLOCK_MS);
  }
}

/** Walks the replay's lines in order from a given time, one generated block in memory at a time. */
class Walker {
  private blockNo: number;
  private lines: GeneratedLine[];
  private index = 0;

  constructor(
    private readonly source: ReplaySource,
    from: number,
  ) {
    // A block at or just before the first one holding a line at or after `from`, then the first such line.
    this.blockNo = Math.max(0, Math.floor(((from - REPLAY_EPOCH_MS) * source.speed) / BLOCK_MS) - 1);
    this.lines = source.block(this.blockNo);
    while (this.time() < from) this.advance();
  }

  /** The emission time of the next line. */
  time(): number {
    return this.source.lineTime(this.blockNo, this.lines[this.index]!.offsetMs);
  }

  /** The next lines due at `until`, at most MAX_BATCH_LINES. */
  take(until: number): SourceLine[] {
    const out: SourceLine[] = [];
    while (out.length < MAX_BATCH_LINES && this.time() <= until) {
      out.push({
        cursor: replayCursor(this.blockNo, this.index),
        stream: 'stdout',
        text: this.lines[this.index]!.text,
      });
      this.advance();
    }
    return out;
  }

  private advance(): void {
    if (++this.index < this.lines.length) return;
    this.blockNo++;
    this.lines = this.source.block(this.blockNo);
    this.index = 0;
  }
}
