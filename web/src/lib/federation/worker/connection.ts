// The NATS connection over WebSocket, kept up for as long as federation is enabled: one attempt after the
// other, forever, with exponential backoff and jitter, and at once when asked (the page came back, the
// network came back, the machine woke up) or when the work asks for a new connection (a new UTC day). The
// client's own reconnect is off: this loop owns retries, so every state it goes through is one the page shows.
// A connection that opened and then ended with an error retrying will not fix (the server refused a publication)
// does not start the backoff again: the next attempts wait longer and longer, as when the server is away.
import {
  PermissionViolationError,
  wsconnect,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/nats-core';
import { natsAuth, type NatsCredentials } from '../../app/nats-auth.ts';
import type { FederationState } from '../../../../../protocol/federation-status.ts';
import { PERSISTENT, type FedError } from '../codes.ts';
import { classify } from './errors.ts';
import { Wakeable } from '../../app/wakeable.ts';
import { backoffDelay } from '../../app/backoff.ts';

/** A flush cut short by the close of its connection. */
export class ClosedBeforeAnswer extends Error {
  constructor() {
    super('the connection closed before the server answered');
  }
}

/**
 * The server's answer to everything published so far on `nc` (a flush), or ClosedBeforeAnswer when the
 * connection closes first: nats.js leaves a flush pending for good when a connection that does not reconnect
 * closes, and the work waiting on it would keep the loop from ever reconnecting.
 */
export function flushed(nc: NatsConnection): Promise<void> {
  return Promise.race([
    nc.flush(),
    nc.closed().then(() => {
      throw new ClosedBeforeAnswer();
    }),
  ]);
}

export interface ConnectionSettings extends NatsCredentials {
  url: string;
}

export interface ConnectionOptionsIn {
  settings: ConnectionSettings;
  /** `retryAtMs`: when the next attempt is made, while waiting for it. */
  onState(state: FederationState, error: FedError | null, retryAtMs: number | null): void;
  /** Runs while a connection is up; the connection closes when `signal` aborts. */
  onConnected(nc: NatsConnection, signal: AbortSignal): Promise<void> | void;
  backoff?: { initialMs?: number; maxMs?: number };
  timeoutMs?: number;
  connect?: (options: ConnectionOptions) => Promise<NatsConnection>;
  random?: () => number;
}

export class Connection {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly pause = new Wakeable();
  private nc: NatsConnection | undefined;
  private stopSignal = new AbortController();
  private renewing = false;
  state: FederationState = 'DISABLED';
  lastError: FedError | null = null;

  constructor(private readonly options: ConnectionOptionsIn) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopSignal = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopSignal.abort();
    this.pause.wake();
    await this.nc?.close().catch(() => undefined);
    await this.loop;
    this.set('DISABLED', null);
  }

  /** Connect now if waiting; if connected, check the connection is alive (after sleep it may be dead). */
  reconnectNow(): void {
    if (this.pause.wake()) return;
    const nc = this.nc;
    if (!nc) return;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000));
    Promise.race([nc.flush(), timeout]).catch(() => void nc.close().catch(() => undefined));
  }

  /**
   * Publishes `payloads` on a connection of their own, opened for them and closed after: what must not share a
   * connection with the rest (a past UTC day's activity reports, under that day's pseudonym). Resolves with the
   * server's refusal, if it refused them; rejects when the server cannot be reached.
   */
  async sendAlone(subject: string, payloads: readonly string[]): Promise<FedError | undefined> {
    const nc = await this.open();
    let refusal: FedError | undefined;
    void (async () => {
      for await (const s of nc.status())
        if (s.type === 'error' && s.error instanceof PermissionViolationError && s.error.subject === subject)
          refusal ??= classify(s.error);
    })();
    try {
      for (const payload of payloads) nc.publish(subject, payload);
      await flushed(nc);
      // A refusal arrives before the flush's answer; one more turn lets the status loop record it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return refusal;
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /** Ends the current connection and opens a new one at once. */
  renew(): void {
    this.renewing = true;
    void this.nc?.close().catch(() => undefined);
  }

  /** Ends the current connection with an error; the loop reconnects after its backoff. */
  fail(error: FedError): void {
    this.lastError = error;
    void this.nc?.close().catch(() => undefined);
  }

  /** A connection to the federation server, never reconnecting by itself (the loop decides when). */
  private open(more: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
    const { settings } = this.options;
    const connect = this.options.connect ?? wsconnect;
    return connect({
      servers: settings.url,
      ...natsAuth(settings),
      name: 'truwatch',
      reconnect: false,
      timeout: this.options.timeoutMs ?? 10_000,
      ignoreClusterUpdates: true,
      noEcho: true,
      ...more,
    });
  }

  private set(state: FederationState, error: FedError | null, retryAtMs: number | null = null): void {
    this.state = state;
    this.lastError = error;
    this.options.onState(state, error, retryAtMs);
  }

  private async run(): Promise<void> {
    const initialMs = this.options.backoff?.initialMs ?? 1000;
    const maxMs = this.options.backoff?.maxMs ?? 60_000;
    let attempt = 0;
    this.set('CONNECTING', null);
    while (this.running) {
      let error: FedError | null;
      let opened = false;
      try {
        const nc = await this.open({ pingInterval: 30_000, maxPingOut: 2 });
        if (!this.running) {
          await nc.close();
          break;
        }
        this.nc = nc;
        opened = true;
        this.lastError = null;
        this.set('CONNECTED', null);
        const session = new AbortController();
        const stopped = () => session.abort();
        this.stopSignal.signal.addEventListener('abort', stopped, { once: true });
        const closed = nc.closed();
        const work = Promise.resolve(this.options.onConnected(nc, session.signal)).catch((e: unknown) => {
          // A flush cut short by this connection's close: the close says why, or that it was asked for.
          if (!(e instanceof ClosedBeforeAnswer && nc.isClosed())) this.fail(classify(e));
        });
        const cause = await closed;
        session.abort();
        this.stopSignal.signal.removeEventListener('abort', stopped);
        await work;
        this.nc = undefined;
        error = this.lastError ?? (cause ? classify(cause) : null);
      } catch (e) {
        error = classify(e);
      }
      if (!this.running) break;
      const renewed = this.renewing && error === null;
      this.renewing = false;
      if (renewed) {
        this.set('CONNECTING', null);
        continue;
      }
      const persistent = error !== null && PERSISTENT.has(error.code);
      if (opened && !persistent) attempt = 0;
      const delay = backoffDelay(attempt++, initialMs, maxMs, this.options.random ?? Math.random);
      this.set(persistent ? 'ERROR' : 'RECONNECTING', error, Date.now() + delay);
      await this.pause.sleep(delay);
    }
  }
}
