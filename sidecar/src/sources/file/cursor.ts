// Cursors of the file source, and the line splitter that stamps each line with its own.
//
// `f.<date>.<gen>.<offset>`: the day from the file name (NO_DATE without one), how many times that day's file was
// truncated in place (3 digits), and the byte offset of the line's start in the uncompressed text (15 digits).
// A day's `.log` and its later `.log.gz` hold the same bytes, so they give the same cursors, and the fixed widths
// make the cursors compare as strings in log order.
import type { SourceLine } from '../source.ts';
import { LineSplitter } from '../lines.ts';
import { OffsetText } from '../offset-text.ts';

export const MAX_GEN = 999;

export interface FileCursor {
  date: string;
  gen: number;
  offset: number;
}

export function formatFileCursor(date: string, gen: number, offset: number): string {
  return `${cursorPrefix(date, gen)}${String(offset).padStart(15, '0')}`;
}

function cursorPrefix(date: string, gen: number): string {
  return `f.${date}.${String(Math.min(gen, MAX_GEN)).padStart(3, '0')}.`;
}

const CURSOR_RE = /^f\.(\d{4}-\d{2}-\d{2})\.(\d{3})\.(\d{15})$/;

/** The parts of a file cursor, or undefined for anything else (another source's cursor, garbage). */
export function parseFileCursor(cursor: string | undefined): FileCursor | undefined {
  const m = cursor === undefined ? null : CURSOR_RE.exec(cursor);
  if (!m) return undefined;
  return { date: m[1]!, gen: Number(m[2]), offset: Number(m[3]) };
}

/** Splits one file's bytes into lines and gives each the cursor of its first byte. */
export class LineCursor {
  private splitter = new LineSplitter();
  /** Offset of the first byte of the line being assembled. */
  private lineStart: number;
  private generation: number;
  private offsets: OffsetText;

  constructor(
    readonly date: string,
    gen: number,
    offset = 0,
  ) {
    this.generation = gen;
    this.offsets = new OffsetText(cursorPrefix(date, gen));
    this.lineStart = offset;
  }

  get gen(): number {
    return this.generation;
  }

  /** Offset of the next byte to read: everything before it has been fed. */
  get position(): number {
    return this.lineStart + this.splitter.pendingBytes;
  }

  /** Bytes of a line not ended yet. */
  get pendingBytes(): number {
    return this.splitter.pendingBytes;
  }

  /** Feeds the bytes at `position` and appends the lines they complete to `out`; returns how many. */
  feed(chunk: Buffer, out: SourceLine[]): number {
    const lines = this.splitter.push(chunk);
    for (const line of lines) out.push(this.stamp(line.text, line.truncated, line.bytes));
    return lines.length;
  }

  /** The file is finished: its last line counts even without a line end. Returns 1 when there was one. */
  end(out: SourceLine[]): number {
    const line = this.splitter.end();
    if (!line) return 0;
    out.push(this.stamp(line.text, line.truncated, line.bytes));
    return 1;
  }

  /** Drops a line not ended (its bytes were damaged) and starts over at `offset` with generation `gen`. */
  restart(gen: number, offset = 0): void {
    this.splitter = new LineSplitter();
    this.generation = Math.min(gen, MAX_GEN);
    this.offsets = new OffsetText(cursorPrefix(this.date, this.generation));
    this.lineStart = offset;
  }

  private stamp(text: string, truncated: boolean, bytes: number): SourceLine {
    const line: SourceLine = {
      cursor: this.offsets.format(this.lineStart),
      stream: 'stdout',
      text,
    };
    if (truncated) line.truncated = true;
    this.lineStart += bytes;
    return line;
  }
}
