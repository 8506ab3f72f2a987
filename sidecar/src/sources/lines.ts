// Splits a byte stream into lines: LF or CRLF, partial lines carried over, invalid UTF-8 replaced, and every
// line bounded (a longer one is cut and flagged, the rest of it skipped) so a hostile stream cannot grow memory.

/** The longest line kept, in bytes. Docker cuts at 16 KiB; a runner JSON line rarely passes a few KiB. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface SplitLine {
  text: string;
  truncated: boolean;
  /** Bytes the line took in the stream, line ending included (for byte-offset cursors). */
  bytes: number;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Bytes of the current line seen so far, kept or not. */
  private lineBytes = 0;
  private cut = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Bytes held for a line not yet ended. */
  get pendingBytes(): number {
    return this.lineBytes;
  }

  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (this.lineBytes === 0 && nl - start <= this.maxLineBytes) {
        // The whole line is in this chunk: decode it in place, no copy.
        let text = chunk.toString('utf8', start, nl);
        if (text.endsWith('\r')) text = text.slice(0, -1);
        lines.push({ text, truncated: false, bytes: nl - start + 1 });
        start = nl + 1;
        continue;
      }
      this.take(chunk.subarray(start, nl));
      this.lineBytes += 1;
      lines.push(this.finish());
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line when the stream ended without a line end, if any. */
  end(): SplitLine | undefined {
    return this.lineBytes > 0 ? this.finish() : undefined;
  }

  private take(piece: Buffer): void {
    this.lineBytes += piece.length;
    const room = this.maxLineBytes - this.partBytes;
    if (piece.length > room) {
      this.cut = true;
      piece = piece.subarray(0, Math.max(0, room));
    }
    if (piece.length > 0) {
      // Copy: the caller may reuse its buffer.
      this.parts.push(Buffer.from(piece));
      this.partBytes += piece.length;
    }
  }

  private finish(): SplitLine {
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    let text = this.decoder.decode(buf);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (this.cut && text.endsWith('\uFFFD')) text = text.replace(/\uFFFD+$/, ''); // a code point cut in half
    const line = { text, truncated: this.cut, bytes: this.lineBytes };
    this.parts = [];
    this.partBytes = 0;
    this.lineBytes = 0;
    this.cut = false;
    return line;
  }
}
