// The Docker log stream decoder: multiplexed frames and raw TTY streams into lines, timestamps off, pieces of
// long lines joined, every line bounded, and the same lines however the transport cuts the bytes.
import { describe, expect, it } from 'vitest';
import { DockerLogDemuxer, type DockerLine } from './frames.ts';
import { parseTimestamp } from './cursor.ts';
import { MAX_LINE_BYTES } from '../lines.ts';

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function read(chunks: Buffer[], tty = false, maxLineBytes?: number): DockerLine[] {
  const demux = new DockerLogDemuxer(maxLineBytes === undefined ? { tty } : { tty, maxLineBytes });
  const lines: DockerLine[] = [];
  for (const chunk of chunks) lines.push(...demux.push(chunk));
  lines.push(...demux.end());
  return lines;
}

/** Every way of cutting `buf` in two, then in single bytes, then at random places. */
function chunkings(buf: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 0; at <= buf.length; at++) ways.push([buf.subarray(0, at), buf.subarray(at)]);
  ways.push([...buf].map((b) => Buffer.from([b])));
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let n = 0; n < 50; n++) {
    const parts: Buffer[] = [];
    for (let at = 0; at < buf.length;) {
      const len = 1 + Math.floor(random() * 40);
      parts.push(buf.subarray(at, at + len));
      at += len;
    }
    ways.push(parts);
  }
  return ways;
}

const NS1 = '2025-11-24T13:56:26.123456789Z';
const NS2 = '2025-11-24T13:56:26.223456789Z';
const NS3 = '2025-11-24T13:56:27.000000001Z';
const SEC = '2026-11-21T09:04:39Z';
const ns = (ts: string) => parseTimestamp(ts)!;

/** A multiplexed stream with both streams, a line split across messages, CRLF, bad UTF-8, no timestamp. */
const KNOWN = Buffer.concat([
  frame(1, `${NS1} first line\n`),
  frame(2, `${NS1} an error\n`),
  frame(1, `${NS2} partial-a `),
  frame(2, `${NS2} error during the partial line\n`),
  frame(1, `${NS2} partial-b `),
  frame(1, `${NS3} partial-c\n`),
  frame(1, `${SEC} whole second\n`),
  frame(1, `${SEC} crlf line\r\n`),
  frame(2, Buffer.concat([Buffer.from(`${SEC} `), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n')])),
  frame(1, `${SEC} two\n${SEC} messages in one frame\n`),
  frame(1, 'no timestamp here\n'),
  frame(1, `${SEC} 2025-11-24 13:55:00 info: text that starts with the runner's timestamp\n`),
  frame(1, `${SEC} last line without a newline`),
]);

const KNOWN_LINES: Partial<DockerLine>[] = [
  { stream: 'stdout', text: 'first line', tsNs: ns(NS1), endNs: ns(NS1) },
  { stream: 'stderr', text: 'an error', tsNs: ns(NS1) },
  { stream: 'stderr', text: 'error during the partial line', tsNs: ns(NS2) },
  { stream: 'stdout', text: 'partial-a partial-b partial-c', tsNs: ns(NS2), endNs: ns(NS3) },
  { stream: 'stdout', text: 'whole second', tsNs: ns(SEC) },
  { stream: 'stdout', text: 'crlf line', tsNs: ns(SEC) },
  { stream: 'stderr', text: '\uFFFD\uFFFDA', tsNs: ns(SEC) },
  { stream: 'stdout', text: 'two', tsNs: ns(SEC) },
  { stream: 'stdout', text: 'messages in one frame', tsNs: ns(SEC) },
  { stream: 'stdout', text: 'no timestamp here' },
  { stream: 'stdout', text: "2025-11-24 13:55:00 info: text that starts with the runner's timestamp" },
  { stream: 'stdout', text: 'last line without a newline', tsNs: ns(SEC) },
];

describe('DockerLogDemuxer (multiplexed)', () => {
  it('reads a known stream into lines, timestamps off', () => {
    const lines = read([KNOWN]);
    expect(lines).toHaveLength(KNOWN_LINES.length);
    lines.forEach((line, i) => expect(line).toMatchObject(KNOWN_LINES[i]!));
    expect(lines[9]!.tsNs).toBeUndefined();
    expect(lines.every((l) => !l.truncated)).toBe(true);
  });

  it('gives the same lines however the transport cuts the stream (every byte offset)', () => {
    const whole = read([KNOWN]);
    for (const chunks of chunkings(KNOWN)) expect(read(chunks)).toEqual(whole);
  });

  it('parses whole-second and nanosecond timestamps', () => {
    expect(ns(NS1)).toBe('1763992586123456789');
    expect(ns(SEC)).toBe('1795251879000000000');
    expect(parseTimestamp('2025-11-24T14:56:26.5+01:00')).toBe('1763992586500000000');
    expect(parseTimestamp('2025-11-24 13:56:26')).toBeUndefined();
    expect(parseTimestamp('2025-13-24T13:56:26Z')).toBeUndefined();
  });

  it("joins Docker's 16 KiB pieces of a long line, on both streams at once", () => {
    const long = 'x'.repeat(40_000);
    const pieces = [long.slice(0, 16_384), long.slice(16_384, 32_768), `${long.slice(32_768)}\n`];
    const stamps = [
      '2025-11-24T13:56:26.000000001Z',
      '2025-11-24T13:56:26.000000002Z',
      '2025-11-24T13:56:26.000000003Z',
    ];
    const stream = Buffer.concat([
      frame(1, `${stamps[0]} ${pieces[0]}`),
      frame(2, `${stamps[0]} ${'e'.repeat(20_000).slice(0, 16_384)}`),
      frame(1, `${stamps[1]} ${pieces[1]}`),
      frame(2, `${stamps[1]} ${'e'.repeat(20_000 - 16_384)}\n`),
      frame(1, `${stamps[2]} ${pieces[2]}`),
    ]);
    for (const chunks of [[stream], [...stream].map((b) => Buffer.from([b]))]) {
      const lines = read(chunks);
      expect(lines.map((l) => [l.stream, l.text.length])).toEqual([
        ['stderr', 20_000],
        ['stdout', 40_000],
      ]);
      expect(lines[1]!.text).toBe(long);
      expect(lines[1]!.tsNs).toBe(ns(stamps[0]!));
      expect(lines[1]!.endNs).toBe(ns(stamps[2]!));
    }
  });

  it("joins podman's 8 KiB pieces, whose line end comes as an empty last piece", () => {
    const long = 'y'.repeat(20_000);
    const stream = Buffer.concat([
      frame(1, `${SEC} ${long.slice(0, 8192)}`),
      frame(1, `${SEC} ${long.slice(8192, 16_384)}`),
      frame(1, `${SEC} ${long.slice(16_384)}`),
      frame(1, `${SEC} \n`),
      frame(1, `${SEC} next\n`),
    ]);
    expect(read([stream]).map((l) => l.text)).toEqual([long, 'next']);
  });

  it('cuts a 1 MB line at the line limit, flags it, and keeps memory bounded', () => {
    const stamp = '2025-11-24T13:56:26.123456789Z ';
    const piece = frame(1, `${stamp}${'z'.repeat(16_384)}`);
    const demux = new DockerLogDemuxer({ tty: false });
    const lines: DockerLine[] = [];
    for (let i = 0; i < 64; i++) lines.push(...demux.push(piece)); // 1 MiB
    lines.push(...demux.push(frame(1, `${stamp}end\n`)), ...demux.push(frame(1, `${stamp}after\n`)));
    expect(lines).toHaveLength(2);
    expect(lines[0]!.truncated).toBe(true);
    expect(lines[0]!.text).toBe('z'.repeat(MAX_LINE_BYTES));
    expect(lines[1]).toMatchObject({ text: 'after', truncated: false });

    // 100 MB more of one line: what the demuxer holds does not grow.
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 6400; i++) expect(demux.push(piece)).toEqual([]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    expect(demux.push(frame(1, `${stamp}\n`))[0]!.text.length).toBe(MAX_LINE_BYTES);
  });

  it('reads a stream that is not multiplexed after all as raw text', () => {
    const lines = read([Buffer.from(`${SEC} plain\n${SEC} text\n`)]);
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'plain'],
      ['stdout', 'text'],
    ]);
  });
});

describe('DockerLogDemuxer (TTY, raw stream)', () => {
  const RAW = Buffer.from(
    [
      `${NS1} hello\r\n`,
      `${NS1} ${'x'.repeat(8192)}`,
      `${NS2} ${'y'.repeat(100)}\r\n`,
      `${NS2} Task deadline 2025-11-25T00:00:00Z set\r\n`,
      `${NS2} {"timestamp":"2025-11-24T13:55:35.120Z","a":1}\r\n`,
      `${NS2} an older stamp ${NS1} stays in the text\r\n`,
      `${NS3} bye\r\n`,
    ].join(''),
  );

  it('strips prefixes, joins pieces, ends lines at CRLF, however the stream is cut', () => {
    const expected = [
      'hello',
      `${'x'.repeat(8192)}${'y'.repeat(100)}`,
      // A time inside a line that is not close after the line's own is text, not the start of a piece.
      `Task deadline 2025-11-25T00:00:00Z set`,
      '{"timestamp":"2025-11-24T13:55:35.120Z","a":1}',
      `an older stamp ${NS1} stays in the text`,
      'bye',
    ];
    const whole = read([RAW], true);
    expect(whole.map((l) => l.text)).toEqual(expected);
    expect(whole.every((l) => l.stream === 'stdout')).toBe(true);
    expect(whole[1]).toMatchObject({ tsNs: ns(NS1), endNs: ns(NS2) });
    for (let at = 0; at <= RAW.length; at += 7) {
      expect(read([RAW.subarray(0, at), RAW.subarray(at)], true)).toEqual(whole);
    }
    expect(
      read(
        [...RAW].map((b) => Buffer.from([b])),
        true,
      ),
    ).toEqual(whole);
  });
});
