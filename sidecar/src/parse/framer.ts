// Groups lines into entries: a line that starts with a timestamp opens an entry, every other line continues
// the open one (pretty-printed JSON, stack traces). A line with no entry to continue is an entry of its own
// (`raw`). Entries are bounded in lines and bytes: past the bound, continuation lines are dropped and the
// entry is flagged `truncated`.
import type { SourceLine } from '../sources/source.ts';
import { undecorate } from './decorations.ts';
import { leadingTimestamp, messageOf, parseHeader, startsWithTimestamp, type Header } from './grammar.ts';

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
  /** Undefined until the first continuation line: most entries have none. */
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
