// Turns the byte stream of GET /containers/{id}/logs?timestamps=true into lines.
//
// Without a TTY the stream is multiplexed: frames of an 8-byte header [stream 1|2, 0, 0, 0, uint32 BE length]
// and a payload; a header, a payload and a line may all be cut anywhere by the transport. Every log message
// starts with Docker's timestamp and a space. Engines split long lines into several messages (Docker at 16 KiB,
// podman at 8 KiB), each with its own timestamp, only the last ending with "\n": a message that starts while its
// stream is in the middle of a line continues that line, and its timestamp is dropped.
// With a TTY the stream is raw (all stdout) and has no frames to show where a message starts, so inside a line
// a timestamp prefix not earlier than the line's own is taken for a continuation's.
import { LineSplitter, MAX_LINE_BYTES } from '../lines.ts';
import { parseTimestamp } from './cursor.ts';

export interface DockerLine {
  stream: 'stdout' | 'stderr';
  text: string;
  truncated: boolean;
  /** Docker's timestamp of the line (of its first piece), unix ns as 19 digits, when it had one. */
  tsNs?: string;
  /** The timestamp of the line's last piece: where the line ends in the log, for its cursor. */
  endNs?: string;
}

/** The longest prefix: `2025-11-24T13:56:26.123456789+00:00` and a space. */
const PREFIX_MAX = 40;
const SPACE = 0x20;
const LF = 0x0a;
/** Bytes a timestamp prefix is made of, before its space. */
const PREFIX_BYTE = /^[0-9TZ:.+-]*$/;
/** A timestamp prefix inside a raw (TTY) line, as latin1 text. */
/**
 * Engines cut long lines into pieces, each with its own timestamp (podman's pieces in a TTY's raw stream
 * are of any size, down to one byte). A timestamp inside a line starts a new piece only when it is at most
 * this much later than the line's own: a line that mentions another time keeps it as text.
 */
const MAX_PIECE_GAP_NS = 5_000_000_000n;
const RAW_PREFIX = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) /g;
/** The tail of a raw chunk that may be the start of a prefix cut by the transport. */
const RAW_PREFIX_START = /\d[0-9TZ:.+-]*$/;

/** The lines of one stream: timestamps off, pieces of a split line joined, each line bounded. */
class StreamLines {
  private readonly splitter: LineSplitter;
  /** Where a timestamp prefix may come next: at a line's start, or at a message's start within a line. */
  private expect: 'line' | 'piece' | undefined = 'line';
  private prefix = '';
  private firstNs: string | undefined;
  private lastNs: string | undefined;
  private carry: Buffer | undefined;
  private lastPrefix = '';
  private lastPrefixNs: string | undefined;

  constructor(
    readonly stream: 'stdout' | 'stderr',
    maxLineBytes: number,
    private readonly raw: boolean,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
  }

  /** A new message (frame) of this stream starts. */
  startMessage(): void {
    this.expect ??= 'piece';
  }

  push(chunk: Buffer, out: DockerLine[]): void {
    if (this.carry) {
      chunk = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let i = 0;
    while (i < chunk.length) {
      if (this.expect) {
        i = this.takePrefix(chunk, i, out);
        continue;
      }
      const nl = chunk.indexOf(LF, i);
      let end = nl === -1 ? chunk.length : nl + 1;
      if (this.raw) {
        const found = this.findRawPrefix(chunk, i, nl === -1 ? chunk.length : nl);
        if (found) {
          this.content(chunk.subarray(i, found.at), out);
          this.lastNs = found.ns;
          i = found.next;
          continue;
        }
        if (nl === -1) {
          // Keep back what may be the start of a prefix cut by the transport: it is read with the next chunk.
          const tail = RAW_PREFIX_START.exec(chunk.toString('latin1', Math.max(i, end - PREFIX_MAX), end));
          if (tail) {
            end -= tail[0].length;
            this.carry = Buffer.from(chunk.subarray(end));
            this.content(chunk.subarray(i, end), out);
            return;
          }
        }
      }
      this.content(chunk.subarray(i, end), out);
      i = end;
      if (nl !== -1) this.expect = 'line';
    }
  }

  /** The stream ended: the line in progress, if any. */
  end(out: DockerLine[]): void {
    if (this.prefix) this.content(Buffer.from(this.prefix, 'latin1'), out);
    if (this.carry) this.content(this.carry, out);
    this.prefix = '';
    this.carry = undefined;
    const last = this.splitter.end();
    if (last) this.emit(last.text, last.truncated, out);
    this.expect = 'line';
  }

  /** Collects a timestamp prefix; returns where to go on in `chunk`. */
  private takePrefix(chunk: Buffer, i: number, out: DockerLine[]): number {
    const sp = chunk.indexOf(SPACE, i);
    const stop = sp === -1 ? chunk.length : sp;
    const candidate = this.prefix + chunk.toString('latin1', i, Math.min(stop, i + PREFIX_MAX));
    if (candidate.length < PREFIX_MAX && PREFIX_BYTE.test(candidate)) {
      if (sp === -1) {
        this.prefix = candidate; // cut by the transport: the rest comes with the next chunk
        return chunk.length;
      }
      const ns = candidate === this.lastPrefix ? this.lastPrefixNs : parseTimestamp(candidate);
      if (ns !== undefined) {
        if (this.expect === 'line' || this.firstNs === undefined) this.firstNs = ns;
        this.lastNs = ns;
        this.lastPrefix = candidate; // consecutive lines often share one (podman: whole seconds)
        this.lastPrefixNs = ns;
        this.prefix = '';
        this.expect = undefined;
        return sp + 1;
      }
    }
    // Not a timestamp: what was held back is text of the line.
    const held = this.prefix;
    this.prefix = '';
    this.expect = undefined;
    if (held) this.content(Buffer.from(held, 'latin1'), out);
    return i;
  }

  private findRawPrefix(
    chunk: Buffer,
    from: number,
    to: number,
  ): { at: number; next: number; ns: string } | undefined {
    if (to - from < 20) return undefined;
    const text = chunk.toString('latin1', from, to);
    RAW_PREFIX.lastIndex = 0;
    for (let m = RAW_PREFIX.exec(text); m; m = RAW_PREFIX.exec(text)) {
      const ns = parseTimestamp(m[0].slice(0, -1));
      if (ns !== undefined && (this.lastNs === undefined || withinPieceGap(this.lastNs, ns))) {
        return { at: from + m.index, next: from + m.index + m[0].length, ns };
      }
    }
    return undefined;
  }

  private content(piece: Buffer, out: DockerLine[]): void {
    for (const line of this.splitter.push(piece)) this.emit(line.text, line.truncated, out);
  }

  private emit(text: string, truncated: boolean, out: DockerLine[]): void {
    const line: DockerLine = { stream: this.stream, text, truncated };
    if (this.firstNs !== undefined) line.tsNs = this.firstNs;
    if (this.lastNs !== undefined) line.endNs = this.lastNs;
    out.push(line);
    this.firstNs = undefined;
    this.lastNs = undefined;
  }
}

/** Demultiplexes (or, with a TTY, just reads) a Docker log stream into lines, in the order the engine sent them. */
export class DockerLogDemuxer {
  private raw: boolean;
  private readonly stdout: StreamLines;
  private readonly stderr: StreamLines;
  private readonly rawStdout: StreamLines;
  private readonly header = Buffer.alloc(8);
  private headerBytes = 0;
  private remaining = 0;
  private current: StreamLines | undefined;

  constructor(options: { tty: boolean; maxLineBytes?: number }) {
    const max = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.raw = options.tty;
    this.stdout = new StreamLines('stdout', max, false);
    this.stderr = new StreamLines('stderr', max, false);
    this.rawStdout = new StreamLines('stdout', max, true);
  }

  push(chunk: Buffer): DockerLine[] {
    const out: DockerLine[] = [];
    let i = 0;
    while (i < chunk.length && !this.raw) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerBytes, chunk.length - i);
        chunk.copy(this.header, this.headerBytes, i, i + take);
        this.headerBytes += take;
        i += take;
        if (this.headerBytes < 8) break;
        this.headerBytes = 0;
        const h = this.header;
        if (h[0]! > 3 || h[1] !== 0 || h[2] !== 0 || h[3] !== 0) {
          // Not a frame header: this stream is not multiplexed after all. Read the rest as raw text.
          this.raw = true;
          this.rawStdout.push(Buffer.from(h), out);
          break;
        }
        this.current = h[0] === 2 || h[0] === 3 ? this.stderr : this.stdout;
        this.current.startMessage();
        this.remaining = h.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      this.current!.push(chunk.subarray(i, i + take), out);
      this.remaining -= take;
      i += take;
    }
    if (this.raw && i < chunk.length) this.rawStdout.push(chunk.subarray(i), out);
    return out;
  }

  /** The stream ended: the lines still in progress (a last line without "\n"). */
  end(): DockerLine[] {
    const out: DockerLine[] = [];
    this.stdout.end(out);
    this.stderr.end(out);
    this.rawStdout.end(out);
    this.headerBytes = 0;
    this.remaining = 0;
    return out;
  }
}

/** True when `next` (ns, as a decimal string) is not before `last` and at most MAX_PIECE_GAP_NS after it. */
function withinPieceGap(last: string, next: string): boolean {
  const gap = BigInt(next) - BigInt(last);
  return gap >= 0n && gap <= MAX_PIECE_GAP_NS;
}
