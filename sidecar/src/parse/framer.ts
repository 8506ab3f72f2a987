// Groups lines into entries: a line that starts with a timestamp opens an entry, every other line continues
// the open one (pretty-printed JSON, stack traces). A line with no entry to continue is an entry of its own
// (`raw`). Entries are bounded in lines and bytes: past the bound, continuation lines are dropped and the
// entry is flagged `truncated`.
import type { SourceLine } from '../sources/source.ts';
import { undecorate } from './decorations.ts';
import {
  leadingTimestamp,
  leadingTimestampAt,
  messageAt,
  messageOf,
  parseHeader,
  parseHeaderAt,
  startsWithTimestamp,
  startsWithTimestampAt,
  type Header,
} from './grammar.ts';

export const MAX_CONTINUATION_LINES = 2000;
export const MAX_CONTINUATION_CHARS = 256 * 1024;

export interface FramedEntry {
  id: string;
  ts: string;
  stream: 'stdout' | 'stderr';
  /** Undefined when the first line is not in the runner grammar. */
  header?: Header;
  /** The first line, decorations removed (the header's message when there is a header). */
  message: string;
  /**
   * The continuation lines (joined by `\n` they are the entry's text): undefined until the first one, as most
   * entries have none. One line per item while the entry is open; a closed entry's may hold several lines in one.
   */
  continuation: string[] | undefined;
  continuationChars: number;
  truncated: boolean;
  /** True when this entry was emitted before and is emitted again with more continuation lines. */
  reopened: boolean;
}

/** The framer's state between two lines, as plain JSON. */
export interface FramerState {
  open: FramedEntry | null;
  lastTs: string;
}

export class Framer {
  private open: FramedEntry | undefined;
  /** The last entry emitted by a quiet-time flush: a late continuation line reopens it. */
  private flushed: FramedEntry | undefined;
  private lastTs = '1970-01-01T00:00:00.000Z';

  /** Feeds one line; returns the entries it closed (zero, one, or two when a stray line is an entry itself). */
  push(line: SourceLine, out: FramedEntry[]): void {
    const { text, dockerTs } = undecorate(line.text);
    if (startsWithTimestamp(text)) {
      if (this.open) out.push(this.open);
      this.flushed = undefined;
      const header = parseHeader(text);
      const ts = line.ts ?? dockerTs ?? leadingTimestamp(text) ?? this.lastTs;
      this.lastTs = ts;
      this.open = {
        id: line.cursor,
        ts,
        stream: line.stream,
        message: header ? messageOf(text, header) : text,
        continuation: undefined,
        continuationChars: 0,
        truncated: line.truncated === true,
        reopened: false,
      };
      if (header) this.open.header = header;
      return;
    }
    const target = this.open ?? this.reopen();
    if (target) {
      this.continueWith(target, text, line.truncated === true);
      return;
    }
    // Nothing to continue: text outside the grammar (another process, a stray JSON line).
    const ts = line.ts ?? dockerTs ?? this.lastTs;
    out.push({
      id: line.cursor,
      ts,
      stream: line.stream,
      message: text,
      continuation: undefined,
      continuationChars: 0,
      truncated: line.truncated === true,
      reopened: false,
    });
  }

  /**
   * Feeds a block of whole lines: `block` holds lines each ended by `\n`, none with `\r` or an escape
   * character, read at byte `offset` with one byte per character (ASCII). The same as pushing each line, but a
   * line is only looked at in place: no string or object per line, and an entry's continuation lines are
   * taken out of the block as one piece when it closes. Lines with possible decorations, and the rare cases
   * (a bound reached, no entry open), go through push(). Returns the number of lines.
   */
  pushBlock(block: string, offset: number, cursorOf: (offset: number) => string, out: FramedEntry[]): number {
    let lines = 0;
    // The open entry's continuation lines still in the block: [runStart, runEnd), runLines of them.
    let runStart = -1;
    let runEnd = -1;
    let runLines = 0;
    let bar = -1; // the next '|' at or after the line start (a compose prefix is looked for only then)
    for (let start = 0; start < block.length;) {
      const end = block.indexOf('\n', start);
      lines++;
      if (bar !== Infinity && bar < start) {
        bar = block.indexOf('|', start);
        if (bar === -1) bar = Infinity;
      }
      const first = block.charCodeAt(start);
      const plain =
        ((first >= 48 && first <= 57) || bar > end) &&
        !(end - start > 20 && block.charCodeAt(start + 10) === 84); /* a Docker timestamp's T */
      if (plain && startsWithTimestampAt(block, start, end)) {
        if (runStart !== -1) this.open!.continuation!.push(block.slice(runStart, runEnd));
        runStart = -1;
        if (this.open) out.push(this.open);
        this.flushed = undefined;
        const header = parseHeaderAt(block, start, end);
        const ts = leadingTimestampAt(block, start) ?? this.lastTs;
        this.lastTs = ts;
        this.open = {
          id: cursorOf(offset + start),
          ts,
          stream: 'stdout',
          message: header ? messageAt(block, start, end, header) : block.slice(start, end),
          continuation: undefined,
          continuationChars: 0,
          truncated: false,
          reopened: false,
        };
        if (header) this.open.header = header;
      } else if (
        plain &&
        this.open &&
        (this.open.continuation?.length ?? 0) + runLines < MAX_CONTINUATION_LINES &&
        this.open.continuationChars + (end - start) <= MAX_CONTINUATION_CHARS
      ) {
        if (runStart === -1) {
          runStart = start;
          runLines = 0;
          this.open.continuation ??= [];
        }
        runEnd = end;
        runLines++;
        this.open.continuationChars += end - start + 1;
      } else {
        if (runStart !== -1) this.open!.continuation!.push(...block.slice(runStart, runEnd).split('\n'));
        runStart = -1;
        this.push({ cursor: cursorOf(offset + start), stream: 'stdout', text: block.slice(start, end) }, out);
      }
      start = end + 1;
    }
    // The entry stays open past the block: its continuation lines become one piece each, as push() keeps them.
    if (runStart !== -1) this.open!.continuation!.push(...block.slice(runStart, runEnd).split('\n'));
    return lines;
  }

  /** True while an entry is open (more continuation lines may come). */
  get hasOpen(): boolean {
    return this.open !== undefined;
  }

  /** Closes the open entry (quiet time while following live, or the end of the text). */
  flush(out: FramedEntry[]): void {
    if (!this.open) return;
    out.push(this.open);
    this.flushed = this.open;
    this.open = undefined;
  }

  private reopen(): FramedEntry | undefined {
    if (!this.flushed) return undefined;
    this.open = this.flushed;
    this.open.reopened = true;
    this.flushed = undefined;
    return this.open;
  }

  private continueWith(entry: FramedEntry, text: string, truncated: boolean): void {
    if (
      (entry.continuation?.length ?? 0) >= MAX_CONTINUATION_LINES ||
      entry.continuationChars + text.length > MAX_CONTINUATION_CHARS
    ) {
      entry.truncated = true;
      return;
    }
    (entry.continuation ??= []).push(text);
    entry.continuationChars += text.length + 1;
    if (truncated) entry.truncated = true;
  }

  /**
   * A copy of the state, or undefined while an entry emitted by a quiet-time flush may still be reopened (it was
   * delivered and correlated already: a copy could not carry on as one reading without the flush would).
   */
  snapshot(): FramerState | undefined {
    if (this.flushed) return undefined;
    return { open: this.open ? structuredClone(this.open) : null, lastTs: this.lastTs };
  }

  restore(state: FramerState): void {
    this.open = state.open ? structuredClone(state.open) : undefined;
    this.flushed = undefined;
    this.lastTs = state.lastTs;
  }
}
