// parseStream takes plain ASCII text a block at a time (Framer.pushBlock): its entries must be exactly those of
// the line-by-line parser (EntryParser.push, which the sidecar's sources use) on every kind of text.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { generatedLog } from '../demo/log-text.ts';
import { LineSplitter } from '../sources/lines.ts';
import type { SourceLine } from '../sources/source.ts';
import { MAX_CONTINUATION_CHARS, MAX_CONTINUATION_LINES } from './framer.ts';
import { EntryParser, type ParserCounters } from './parser.ts';
import { offsetCursor, parseStream } from './read-log.ts';

/** The reference: every line through EntryParser.push, with the cursor of its byte offset. */
function lineByLine(bytes: Buffer): { entries: Entry[]; counters: ParserCounters } {
  const splitter = new LineSplitter();
  const lines: SourceLine[] = [];
  let offset = 0;
  for (const l of [...splitter.push(bytes), splitter.end()]) {
    if (!l) continue;
    lines.push({
      cursor: offsetCursor(offset),
      stream: 'stdout',
      text: l.text,
      truncated: l.truncated || undefined,
    });
    offset += l.bytes;
  }
  const parser = new EntryParser();
  const entries = [...parser.push(lines), ...parser.flush()];
  return { entries, counters: parser.counters };
}

async function streamed(chunks: Buffer[]): Promise<{ entries: Entry[]; counters: ParserCounters }> {
  const entries: Entry[] = [];
  const parser = await parseStream(Readable.from(chunks), (batch) => entries.push(...batch));
  return { entries, counters: parser.counters };
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

const generated = Buffer.from([...generatedLog({ tasks: 60, seed: 3 })].map((c) => c.text).join(''), 'utf8');
const decorated = Buffer.from(
  [...generatedLog({ tasks: 30, seed: 4, decorate: true })].map((c) => c.text).join(''),
  'utf8',
);
const RUNNER = '@truebit/worker-runner-node:2.0.0';
const odd = Buffer.from(
  [
    'a stray line before any entry',
    '{"stray": "json"}',
    `2025-11-24 10:00:00 info: ${RUNNER} Command execution stdout:`,
    ...Array.from({ length: MAX_CONTINUATION_LINES + 5 }, () => ''), // past the bound in lines
    `2025-11-24 10:00:01 info: ${RUNNER} Command execution stdout:`,
    ...Array.from({ length: MAX_CONTINUATION_CHARS / 1000 + 5 }, (_, i) => `${i} ${'x'.repeat(998)}`), // in chars
    `2025-11-24 10:00:02 info: ${RUNNER} Message received from a|b: {"x": "a | b"}`,
    'runner-node  | 2025-11-24 10:00:03 info: @truebit/worker-runner-node:2.0.0 Starting task execution',
    'continuation | with a bar',
    '2025-11-24T10:00:04.123456789Z 2025-11-24 10:00:04 info: @truebit/x:1.0.0 docker time in front',
    '2025-99-99 99:99:99 not a real time',
    '2025-11-24 10:00:05 not the grammar',
    '2025-11-24 10:00:05',
    `2025-11-24 10:00:06 info: ${RUNNER} Message received from task_created: {"executionId":"e1","input":"in"}`,
    `2025-11-24 10:00:07 info: ${RUNNER} Message received from task_created: {"executionId":"e2","input":"in`,
    '  continued "output": "out"}',
    'ünïcödé in a continuation line',
    '\u001b[32m2025-11-24 10:00:08\u001b[39m info: @truebit/x:1.0.0 coloured',
    `2025-11-24 10:00:09 info: ${RUNNER} Execution e1 completed\r`,
    `2025-11-24 10:00:10 info: ${RUNNER} ${'long '.repeat(20_000)}`, // longer than a line may be
    `2025-11-24 10:00:11 info: ${RUNNER} Execution e2 failed`,
  ].join('\n'),
  'utf8',
);

describe('parseStream', () => {
  for (const [name, bytes] of [
    ['a generated log', generated],
    ['a decorated generated log', decorated],
    ['odd text', odd],
    ['odd text in a generated log', Buffer.concat([generated, odd, Buffer.from('\n'), generated])],
  ] as const) {
    it(`gives the line-by-line parser's entries and counts: ${name}`, async () => {
      const expected = lineByLine(bytes);
      for (const size of [bytes.length, 1 << 20, 65_536, 4099, 97]) {
        const actual = await streamed(chunked(bytes, size));
        expect(actual.counters, `chunks of ${size}`).toEqual(expected.counters);
        expect(actual.entries.length, `chunks of ${size}`).toBe(expected.entries.length);
        expect(actual.entries, `chunks of ${size}`).toEqual(expected.entries);
      }
    });
  }

  it('the odd text reaches the bounds and the decorations it is made to reach', () => {
    const { counters, entries } = lineByLine(odd);
    expect(counters.truncated).toBe(3);
    expect(counters.raw).toBeGreaterThanOrEqual(4);
    expect(entries.filter((e) => e.io?.input).length).toBe(2);
  });
});
