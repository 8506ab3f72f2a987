// The ingest loop: GET /api/events from the stored cursor, each event checked and written to the monitor database
// before the next chunk is read (backpressure: a slow database slows the sidecar down, it does not fill memory),
// and after anything — sidecar restarted, network gone, laptop asleep — back to the stored cursor with backoff.
import { applyEntries, applyStatus, readResumePoint, StaleStreamError } from '../../db/apply.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import type { Entry, Status } from '../../../../../protocol/node-events.ts';
import { decodeEvent } from './decode.ts';
import { describe, HttpError, UnauthorizedError } from './errors.ts';
import { CatchUpMeter } from './progress.ts';
import { DEFAULT_QUEUE_LIMITS, WriteQueue, type QueueItem, type QueueLimits } from './queue.ts';
import { openEventStream } from './request.ts';
import { SseParser, type SseEvent } from './sse.ts';
import type { IngestCounters, IngestState } from '../state.ts';
import { Wakeable } from '../../app/wakeable.ts';
import { backoffDelay } from '../../app/backoff.ts';

export interface IngestOptions {
  /** The sidecar, e.g. `http://127.0.0.1:8090` (no trailing `/api`). */
  baseUrl: string;
  token: string;
  /** The database, or how to open it: then it is opened again for each connection (after it closed, anew). */
  db: TruwatchDb | (() => Promise<TruwatchDb>);
  fetch?: typeof fetch;
  now?: () => number;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Entries already received are written together (one transaction), this many at most. */
  maxGroup?: number;
  /** How far reading may run ahead of writing (see queue.ts); `maxGroup` is the entries per write. */
  queueLimits?: Partial<Omit<QueueLimits, 'maxWrite'>>;
  /** A connection that brings no byte this long is dead (the sidecar sends a keep-alive every 15 s). */
  idleTimeoutMs?: number;
  onState?: (state: IngestState) => void;
  /** The writers; the db module's by default. */
  apply?: { applyEntries: typeof applyEntries; applyStatus: typeof applyStatus };
}

/** reconnectNow() replaces a connection that has been silent this long (keep-alives come every 15 s). */
const STALE_MS = 20_000;

export class IngestClient {
  private readonly open: () => Promise<TruwatchDb>;
  /** The database of the current connection. */
  private db: TruwatchDb | undefined;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxGroup: number;
  private readonly idleTimeoutMs: number;
  private readonly write: NonNullable<IngestOptions['apply']>;
  private readonly listeners = new Set<(state: IngestState) => void>();
  private token: string;
  private readonly counters: IngestCounters = { entries: 0, batches: 0, invalid: 0, reconnects: 0 };
  private current: IngestState = { kind: 'idle', counters: { ...this.counters } };
  private running: Promise<void> | undefined;
  private stopped = true;
  private connection: AbortController | undefined;
  private readonly pause = new Wakeable();
  /** The current connection was ended on purpose to open a new one: no backoff. */
  private immediate = false;
  private healthy = false;
  private queue: WriteQueue | undefined;
  private lastDataAt = 0;
  /** The history's generation this connection began in (db/apply.ts, EPOCH_KEY). */
  private epoch: number | undefined;
  private meter: CatchUpMeter | undefined;

  constructor(private readonly options: IngestOptions) {
    const db = options.db;
    this.open = typeof db === 'function' ? db : () => Promise.resolve(db);
    this.token = options.token;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.maxGroup = options.maxGroup ?? DEFAULT_QUEUE_LIMITS.maxWrite;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
    this.write = options.apply ?? { applyEntries, applyStatus };
    if (options.onState) this.listeners.add(options.onState);
  }

  get state(): IngestState {
    return this.current;
  }

  /** Calls `listener` with the current state now and with every change; returns the unsubscribe. */
  subscribe(listener: (state: IngestState) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Ends the connection and every wait; resolves once nothing runs any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connection?.abort(new Error('stopped'));
    this.pause.wake();
    await this.running;
    this.set({ kind: 'stopped', progress: undefined, nextRetryMs: undefined });
  }

  /** The page became visible or the network came back: retry now, or replace a connection gone silent. */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.pause.wake()) return;
    if (this.connection && !this.queue?.busy && this.now() - this.lastDataAt > STALE_MS)
      this.restart('silent');
  }

  /** A new token (paired again): reconnect with it at once, also out of 'unauthorized'. */
  setToken(token: string): void {
    this.token = token;
    if (this.stopped) return;
    if (!this.pause.wake()) this.restart('new token');
  }

  /** The stored history was cleared: start again from the stored cursor (none now) at once, busy or not. */
  restartNow(): void {
    if (this.stopped) return;
    if (!this.pause.wake()) this.restart('the stored history was cleared');
  }

  private restart(why: string): void {
    this.immediate = true;
    this.connection?.abort(new Error(why));
  }

  private async loop(): Promise<void> {
    let failures = 0;
    for (let attempt = 0; !this.stopped; attempt++) {
      if (attempt > 0) this.counters.reconnects++;
      const controller = (this.connection = new AbortController());
      let error: unknown;
      try {
        await this.connect(controller);
        error = new Error('the sidecar ended the stream');
      } catch (e) {
        error = e;
      }
      if (controller.signal.aborted) error = controller.signal.reason;
      this.connection = undefined;
      if (this.stopped) break;
      if (this.healthy) failures = 0;
      if (error instanceof UnauthorizedError) {
        this.set({
          kind: 'unauthorized',
          lastError: error.message,
          progress: undefined,
          nextRetryMs: undefined,
        });
        await this.sleep(undefined);
        failures = 0;
        continue;
      }
      // A write refused because the history was cleared under it: begin again now, from the beginning.
      if (this.immediate || error instanceof StaleStreamError) {
        this.immediate = false;
        continue;
      }
      let delay = backoffDelay(failures++, this.initialMs, this.maxMs, this.random);
      if (error instanceof HttpError && error.retryAfterMs !== undefined)
        delay = Math.max(delay, Math.min(this.maxMs, error.retryAfterMs));
      this.set({ kind: 'unreachable', lastError: describe(error), nextRetryMs: delay, progress: undefined });
      await this.sleep(delay);
    }
  }

  /** Waits `ms` (forever when undefined), or until reconnectNow(), setToken() or stop(). */
  private async sleep(ms: number | undefined): Promise<void> {
    if (!this.stopped) await this.pause.sleep(ms);
  }

  /** One connection, until the stream ends or fails. */
  private async connect(controller: AbortController): Promise<void> {
    this.healthy = false;
    this.lastDataAt = this.now();
    this.set({ kind: 'connecting', nextRetryMs: undefined });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      const ms = this.idleTimeoutMs;
      timer = setTimeout(
        () => controller.abort(new Error(`no data from the sidecar for ${ms / 1000} s`)),
        ms,
      );
    };
    try {
      const db = (this.db = await this.open());
      arm();
      const { cursor, epoch } = await readResumePoint(db);
      this.epoch = epoch;
      const body = await openEventStream({
        fetch: this.fetch,
        baseUrl: this.options.baseUrl,
        token: this.token,
        cursor,
        signal: controller.signal,
      });
      const reader = body.getReader();
      const parser = new SseParser();
      this.meter = new CatchUpMeter(this.now);
      this.set({ kind: 'catching-up', progress: this.meter.progress(), lastError: undefined });
      // A failed write ends the connection (nothing after it may be written: the cursor would pass a gap).
      const queue = (this.queue = new WriteQueue(
        {
          entries: (entries, cursor, live) => this.store(entries, cursor, live),
          status: (status) => this.storeStatus(status),
        },
        { ...DEFAULT_QUEUE_LIMITS, ...this.options.queueLimits, maxWrite: this.maxGroup },
        (error) => controller.abort(error),
      ));
      // Ends a pending read on abort even when the body does not watch the fetch's signal.
      const cancel = () => void reader.cancel(controller.signal.reason).catch(() => {});
      controller.signal.addEventListener('abort', cancel, { once: true });
      try {
        for (;;) {
          await queue.room();
          arm();
          const { done, value } = await reader.read();
          clearTimeout(timer);
          if (controller.signal.aborted) return;
          this.lastDataAt = this.now();
          queue.push(this.decode(done ? parser.end() : parser.push(value)));
          if (done) return await queue.drained();
        }
      } finally {
        controller.signal.removeEventListener('abort', cancel);
        await queue.close();
        this.queue = undefined;
        void reader.cancel().catch(() => {});
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The events of one chunk, checked, as items to write in order. */
  private decode(events: SseEvent[]): QueueItem[] {
    const items: QueueItem[] = [];
    for (const event of events) {
      const decoded = decodeEvent(event);
      if (decoded.type === 'other') continue;
      this.healthy = true;
      const size = event.data.length;
      if (decoded.type === 'entries') {
        this.counters.invalid += decoded.invalid;
        const { live, entries, cursor } = decoded;
        if (entries.length || cursor !== undefined)
          items.push({ type: 'entries', live, entries, cursor, size });
        else this.set({});
      } else if (decoded.type === 'invalid') {
        this.counters.invalid++;
        this.set({});
      } else items.push({ type: 'status', status: decoded.status, size });
    }
    return items;
  }

  private async storeStatus(status: Status): Promise<void> {
    await this.write.applyStatus(this.db!, status);
    this.meter?.status(status);
    const catchingUp = status.state === 'backfill' && status.backfill?.done !== true;
    if (catchingUp) this.set({ kind: 'catching-up', source: status, progress: this.meter?.progress() });
    else this.set({ kind: 'live', source: status, progress: undefined });
  }

  private async store(entries: Entry[], cursor: string | undefined, live: boolean): Promise<void> {
    const result = await this.write.applyEntries(this.db!, entries, cursor, this.epoch);
    // The database refuses entries whose time is not a time: bad input too.
    this.counters.entries += entries.length - result.invalid;
    this.counters.invalid += result.invalid;
    if (entries.length > 0) this.counters.batches++;
    this.meter?.stored(entries.length - result.invalid);
    if (live) this.set({ kind: 'live', progress: undefined });
    else if (this.current.kind === 'catching-up') this.set({ progress: this.meter?.progress() });
    else this.set({});
  }

  /** A new state object for every change (listeners may keep the old one); undefined fields are removed. */
  private set(patch: Partial<Omit<IngestState, 'counters'>>): void {
    const next = { ...this.current, ...patch, counters: { ...this.counters } } as IngestState;
    for (const key of Object.keys(next) as (keyof IngestState)[])
      if (next[key] === undefined) delete next[key];
    this.current = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
