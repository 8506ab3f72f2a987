// Reads a log file (or stdin) of runner-node text with any decorations through the parser, streaming.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Entry } from '../../../protocol/node-events.ts';
import { LineSplitter } from '../sources/lines.ts';
import type { SourceLine } from '../sources/source.ts';
import { EntryParser } from './parser.ts';

/** Cursor of a line read from a plain file: its byte offset (`o.<15 digits>`). */
export function offsetCursor(offset: number): string {
  const digits = String(offset);
  return 'o.' + ZEROS.slice(digits.length) + digits;
}
const ZEROS = '000000000000000';

export async function parseStream(
  input: Readable,
  onEntries: (entries: Entry[]) => void,
  cursorOf: (offset: number) => string = offsetCursor,
): Promise<EntryParser> {
  const parser = new EntryParser();
  const splitter = new LineSplitter();
  let offset = 0;
  const lines: SourceLine[] = [];
  const take = (text: string, truncated: boolean, bytes: number) => {
    const line: SourceLine = { cursor: cursorOf(offset), stream: 'stdout', text };
    if (truncated) line.truncated = true;
    lines.push(line);
    offset += bytes;
  };
  for await (const chunk of input) {
    for (const l of splitter.push(chunk as Buffer)) take(l.text, l.truncated, l.bytes);
    if (lines.length) onEntries(parser.push(lines));
    lines.length = 0;
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
  return parseStream(createReadStream(path, { highWaterMark: 1024 * 1024 }), onEntries, cursorOf);
}
