// Reads a log file (or stdin) of runner-node text with any decorations through the parser, streaming.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Entry } from '../../../protocol/node-events.ts';
import { isAscii } from 'node:buffer';
import { LineSplitter, MAX_LINE_BYTES } from '../sources/lines.ts';
import { OffsetText } from '../sources/offset-text.ts';
import type { SourceLine } from '../sources/source.ts';
import { EntryParser } from './parser.ts';

const OFFSET_CURSORS = new OffsetText('o.');

/** Cursor of a line read from a plain file: its byte offset (`o.<15 digits>`). */
export function offsetCursor(offset: number): string {
  return OFFSET_CURSORS.format(offset);
}
// Not above MAX_LINE_BYTES: a line inside one batch is never cut, so a block of whole lines needs no bound.
const BATCH_BYTES = Math.min(64 * 1024, MAX_LINE_BYTES);
const READ_BYTES = 1024 * 1024;

/**
 * A line read from a file or stream. Its cursor is formatted when asked for: only for the lines that open an
 * entry, about half of them.
 */
class FileLine implements SourceLine {
  readonly stream = 'stdout';
  readonly truncated: boolean | undefined;

  constructor(
    private readonly offset: number,
    readonly text: string,
    truncated: boolean,
    private readonly cursorOf: (offset: number) => string,
  ) {
    this.truncated = truncated || undefined;
  }

  get cursor(): string {
    return this.cursorOf(this.offset);
  }
}

/** Parses a byte stream (a Readable such as stdin, or any iterable of Buffers, each handled before the next). */
export async function parseStream(
  input: AsyncIterable<Buffer>,
  onEntries: (entries: Entry[]) => void,
  cursorOf: (offset: number) => string = offsetCursor,
): Promise<EntryParser> {
  const parser = new EntryParser();
  const splitter = new LineSplitter();
  let offset = 0;
  const lines: SourceLine[] = [];
  const take = (text: string, truncated: boolean, bytes: number) => {
    lines.push(new FileLine(offset, text, truncated, cursorOf));
    offset += bytes;
  };
  const flushLines = () => {
    if (lines.length) onEntries(parser.push(lines));
    lines.length = 0;
  };
  for await (const chunk of input) {
    // Parsed a slice at a time: few lines and entries are alive at once, so a young-generation collection has
    // little to copy (the whole file's collections took half the time they took with 1 MB at a time).
    for (let at = 0; at < chunk.length; at += BATCH_BYTES) {
      const batch = chunk.subarray(at, at + BATCH_BYTES);
      let from = 0;
      if (splitter.pendingBytes > 0) {
        // A line begun in an earlier batch: the splitter ends it.
        const nl = batch.indexOf(10);
        from = nl === -1 ? batch.length : nl + 1;
        for (const l of splitter.push(batch.subarray(0, from))) take(l.text, l.truncated, l.bytes);
      }
      const last = batch.lastIndexOf(10);
      if (last >= from) {
        // The whole lines in between: as one block of text when they are plain ASCII (the generated and the
        // runner's own files are), else line by line.
        const bytes = batch.subarray(from, last + 1);
        if (isAscii(bytes) && bytes.indexOf(13) === -1 && bytes.indexOf(27) === -1) {
          flushLines();
          onEntries(parser.pushBlock(bytes.toString('latin1'), offset, cursorOf));
          offset += bytes.length;
        } else for (const l of splitter.push(bytes)) take(l.text, l.truncated, l.bytes);
        from = last + 1;
      }
      if (from < batch.length) splitter.push(batch.subarray(from)); // no line end: kept for the next batch
      flushLines();
    }
  }
  const last = splitter.end();
  if (last) take(last.text, last.truncated, last.bytes);
  onEntries(parser.push(lines));
  onEntries(parser.flush());
  return parser;
}

export function parseFile(
  path: string,
  onEntries: (entries: Entry[]) => void,
  cursorOf?: (offset: number) => string,
): Promise<EntryParser> {
  return parseStream(readChunks(path), onEntries, cursorOf);
}

/**
 * The file's bytes, 1 MiB at a time, all read into one buffer: the line splitter copies what it keeps across
 * chunks. (A read stream's new buffer per chunk cost more than all its reads over a 78 MB log.) Read
 * synchronously: parsing waits for each chunk anyway, and a read handed to the thread pool left the process idle
 * until that thread ran (15-260 ms over the 78 MB log on a busy machine, by the CPU profile).
 */
async function* readChunks(path: string): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}
