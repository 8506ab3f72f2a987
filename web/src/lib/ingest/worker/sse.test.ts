import { describe, expect, it } from 'vitest';
import { SseLimitError, SseParser, type SseEvent } from './sse.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function parseAll(chunks: (Uint8Array | string)[], parser = new SseParser()): SseEvent[] {
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

// Everything the stream can hold: comments, retry, ids, multi-line data, a field without a colon, multi-byte
// characters (2, 3 and 4 bytes in UTF-8), an event without data (not dispatched) and an unknown field.
const STREAM =
  ': truwatch events\nretry: 2000\n\n' +
  'event: status\ndata: {"state":"backfill"}\n\n' +
  'event: batch\nid: f.2025-11-24.000.000000000000042\ndata: {"entries":[{"m":"héllo €uro 𝄞"}]}\n\n' +
  ': keep-alive\n\n' +
  'data: line one\ndata:line two\ndata\nunknown: x\n\n' +
  'event: nothing\nid: 7\n\n' +
  'event: entry\nid: e1\ndata: 日本語\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'status', data: '{"state":"backfill"}' },
  { event: 'batch', id: 'f.2025-11-24.000.000000000000042', data: '{"entries":[{"m":"héllo €uro 𝄞"}]}' },
  { event: 'message', data: 'line one\nline two\n' },
  { event: 'entry', id: 'e1', data: '日本語' },
];

describe('SseParser', () => {
  it('parses a whole stream, with comments, retry and the last event id', () => {
    const parser = new SseParser();
    expect(parseAll([encode(STREAM)], parser)).toEqual(EXPECTED);
    expect(parser.retry).toBe(2000);
    expect(parser.comments).toBe(2);
    expect(parser.lastEventId).toBe('e1');
  });

  it('gives the same events however the bytes are split in two (every offset, inside UTF-8 too)', () => {
    const bytes = encode(STREAM);
    for (let i = 0; i <= bytes.length; i++)
      expect(parseAll([bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).toEqual(EXPECTED);
  });

  it('gives the same events with one byte per chunk, and in three pieces at every pair of offsets', () => {
    const bytes = encode(STREAM);
    expect(parseAll([...bytes].map((b) => Uint8Array.of(b)))).toEqual(EXPECTED);
    for (let i = 0; i <= bytes.length; i += 3)
      for (let j = i; j <= bytes.length; j += 5)
        expect(parseAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(EXPECTED);
  });

  it('accepts CRLF, CR and LF line ends, and mixes of them, split anywhere', () => {
    for (const eol of ['\r\n', '\r', '\n']) {
      const text = STREAM.replaceAll('\n', eol);
      for (let i = 0; i <= text.length; i++)
        expect(parseAll([text.slice(0, i), text.slice(i)]), `${JSON.stringify(eol)} at ${i}`).toEqual(
          EXPECTED,
        );
    }
    const mixed = 'data: a\r\ndata: b\rdata: c\n\r\nevent: x\rdata: d\r\r';
    const expected = [
      { event: 'message', data: 'a\nb\nc' },
      { event: 'x', data: 'd' },
    ];
    for (let i = 0; i <= mixed.length; i++)
      expect(parseAll([mixed.slice(0, i), mixed.slice(i)])).toEqual(expected);
    // A CR at the end of a chunk and an LF at the start of the next are one line end, not two.
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([
      { event: 'message', data: 'a\nb' },
    ]);
  });

  it('strips one leading BOM only, even split across chunks', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const body = encode('data: x\n\n');
    expect(parseAll([Uint8Array.of(0xef), Uint8Array.of(0xbb, 0xbf), body])).toEqual([
      { event: 'message', data: 'x' },
    ]);
    expect(parseAll(['\uFEFFdata: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
    // A second BOM is part of the first line's field name, which makes it an unknown field.
    expect(parseAll([bom, bom, body])).toEqual([]);
  });

  it('turns invalid UTF-8 into U+FFFD instead of failing', () => {
    const bytes = Uint8Array.of(...encode('data: a'), 0xff, 0xc3, ...encode('\n\n'));
    expect(parseAll([bytes])).toEqual([{ event: 'message', data: 'a\uFFFD\uFFFD' }]);
  });

  it('ignores ids with NUL and non-numeric retry, and drops an unfinished last event', () => {
    const parser = new SseParser();
    expect(parseAll(['id: a\0b\nretry: 1x\ndata: 1\n\nid: ok\ndata: 2\n\ndata: unfinished'], parser)).toEqual(
      [
        { event: 'message', data: '1' },
        { event: 'message', id: 'ok', data: '2' },
      ],
    );
    expect(parser.retry).toBeUndefined();
    expect(parser.lastEventId).toBe('ok');
  });

  it('parses large events in many chunks in linear time', () => {
    const data = 'x'.repeat(4 * 1024 * 1024);
    const text = `event: batch\ndata: ${data}\n\n`;
    const parser = new SseParser();
    const started = performance.now();
    const events: SseEvent[] = [];
    for (let i = 0; i < text.length; i += 16 * 1024)
      events.push(...parser.push(text.slice(i, i + 16 * 1024)));
    expect(events).toHaveLength(1);
    expect(events[0]!.data.length).toBe(data.length);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('fails on an event larger than its limit, whether one long line or many lines, and stays failed', () => {
    const long = new SseParser({ maxEventSize: 1000 });
    expect(long.push('data: ' + 'x'.repeat(900))).toEqual([]);
    expect(() => long.push('y'.repeat(200))).toThrow(SseLimitError);
    expect(() => long.push('\n\n')).toThrow(SseLimitError);

    const many = new SseParser({ maxEventSize: 1000 });
    expect(() => many.push('data: 0123456789\n'.repeat(100))).toThrow(SseLimitError);

    // Events under the limit, one after the other, are fine: the limit is per event.
    const ok = new SseParser({ maxEventSize: 1000 });
    const events = ok.push(`data: ${'z'.repeat(900)}\n\n`.repeat(50));
    expect(events).toHaveLength(50);
  });

  it('uses the default limit of 8 MiB', () => {
    const parser = new SseParser();
    const mb = 'x'.repeat(1024 * 1024);
    parser.push('data: ');
    for (let i = 0; i < 7; i++) parser.push(mb);
    expect(() => parser.push(mb + mb)).toThrow(/larger than 8388608/);
  });
});
