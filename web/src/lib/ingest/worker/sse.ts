// An incremental Server-Sent Events parser (the WHATWG "event stream" interpretation): bytes or text in, in
// chunks split anywhere (inside a line end, inside a multi-byte UTF-8 character), events out. Memory is bounded:
// an event larger than `maxEventSize` is an error, never an ever-growing buffer.
//
// Written here on purpose: web/ never imports scripts/ or sidecar/.

export interface SseEvent {
  /** The `event` field, `message` when the event had none. */
  event: string;
  /** The `id` field of this event, when it had one (the spec's last-event-id is `SseParser.lastEventId`). */
  id?: string;
  /** The `data` lines, joined with `\n`. */
  data: string;
  /** The `retry` field of this event, in ms, when it had a valid one. */
  retry?: number;
}

/** A single event larger than the parser's limit (or the parser failed before). */
export class SseLimitError extends Error {
  override name = 'SseLimitError';
}

/** Default limit of one event: 8 MiB of text (UTF-16 code units, about bytes for this ASCII-heavy stream). */
export const MAX_EVENT_SIZE = 8 * 1024 * 1024;

const DIGITS = /^\d+$/;

export class SseParser {
  /** The spec's last event id: the latest `id` field seen, kept across events. */
  lastEventId = '';
  /** The latest valid `retry` field, in ms. */
  retry: number | undefined;
  /** Comment lines seen (`: keep-alive`). */
  comments = 0;

  private readonly maxEventSize: number;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private bomChecked = false;
  /** The line being assembled, in pieces (joined once, when its line end arrives: linear, not quadratic). */
  private pieces: string[] = [];
  private pieceSize = 0;
  /** The previous chunk ended in CR: an LF at the start of the next one belongs to the same line end. */
  private pendingCR = false;
  private eventType = '';
  private data: string[] = [];
  private dataSize = 0;
  private id: string | undefined;
  private eventRetry: number | undefined;
  private failed = false;

  constructor(options: { maxEventSize?: number } = {}) {
    this.maxEventSize = options.maxEventSize ?? MAX_EVENT_SIZE;
  }

  /** Feeds a chunk (bytes, or text already decoded; do not mix both in one stream); returns finished events. */
  push(chunk: Uint8Array | string): SseEvent[] {
    if (this.failed) throw new SseLimitError('the event stream failed before');
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.feed(text);
  }

  /** The end of the stream: flushes the decoder. An event without its closing blank line is dropped (spec). */
  end(): SseEvent[] {
    if (this.failed) return [];
    const events = this.feed(this.decoder.decode());
    this.pieces = [];
    this.pieceSize = 0;
    this.resetEvent();
    return events;
  }

  private feed(input: string): SseEvent[] {
    let text = input;
    if (!this.bomChecked && text.length > 0) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const events: SseEvent[] = [];
    let pos = 0;
    if (this.pendingCR && text.length > 0) {
      this.pendingCR = false;
      if (text.charCodeAt(0) === 10) pos = 1;
    }
    // Next CR and LF at or after pos, searched again only once passed: linear in the chunk.
    let cr = text.indexOf('\r', pos);
    let lf = text.indexOf('\n', pos);
    while (pos < text.length) {
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) {
        this.pieces.push(text.slice(pos));
        this.pieceSize += text.length - pos;
        this.check(this.pieceSize);
        break;
      }
      let line = text.slice(pos, end);
      if (this.pieces.length > 0) {
        this.pieces.push(line);
        line = this.pieces.join('');
        this.pieces = [];
        this.pieceSize = 0;
      }
      this.check(line.length);
      if (end === cr) {
        if (end + 1 === text.length) this.pendingCR = true;
        pos = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      } else pos = end + 1;
      this.line(line, events);
    }
    return events;
  }

  /** The event being assembled may not grow past the limit. */
  private check(lineSize: number): void {
    if (this.dataSize + lineSize > this.maxEventSize) {
      this.failed = true;
      this.pieces = [];
      this.resetEvent();
      throw new SseLimitError(`an event is larger than ${this.maxEventSize} characters`);
    }
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length === 0) return this.dispatch(events);
    if (line.charCodeAt(0) === 58 /* : */) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        this.dataSize += value.length + 1;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = this.lastEventId = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) this.retry = this.eventRetry = Number(value);
        break;
      // Any other field is ignored (spec).
    }
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data.length > 0) {
      const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) event.id = this.id;
      if (this.eventRetry !== undefined) event.retry = this.eventRetry;
      events.push(event);
    }
    this.resetEvent();
  }

  private resetEvent(): void {
    this.eventType = '';
    this.data = [];
    this.dataSize = 0;
    this.id = undefined;
    this.eventRetry = undefined;
  }
}
