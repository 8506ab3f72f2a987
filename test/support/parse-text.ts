// Test helpers: parse a text as if it came from a source, one line per cursor.
import type { Entry } from '../../protocol/node-events.ts';
import type { SourceLine } from '../../sidecar/src/sources/source.ts';
import { EntryParser } from '../../sidecar/src/parse/parser.ts';

export function linesOf(text: string): SourceLine[] {
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  return rows.map((row, i) => ({
    cursor: `t.${String(i).padStart(6, '0')}`,
    stream: 'stdout',
    text: row.endsWith('\r') ? row.slice(0, -1) : row,
  }));
}

export function parseText(text: string, parser = new EntryParser()): Entry[] {
  return [...parser.push(linesOf(text)), ...parser.flush()];
}
