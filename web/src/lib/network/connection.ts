// The page's NATS connection, as the `public` user over WebSocket: subscribe to stats and feed, read the
// latest of each at once from the federation's latest-snapshot service (a plain core request), and reconnect
// forever with a capped, jittered backoff.
import {
  AuthorizationError,
  NoRespondersError,
  PermissionViolationError,
  TimeoutError,
  wsconnect,
  type NatsConnection,
} from '@nats-io/nats-core';
import { LATEST_SUBJECTS, SUBJECTS } from '../../../../protocol/subjects.ts';
import type { NetworkServer } from './config.ts';
import type { MessageKind } from './model.ts';
import { Wakeable } from '../app/wakeable.ts';
import { backoffDelay } from '../app/backoff.ts';
import { natsAuth } from '../app/nats-auth.ts';

/** nats/users.conf lets the public user receive replies only under this prefix (its own account's inboxes). */
export const PUBLIC_INBOX_PREFIX = '_INBOX_public';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** The connection dropped; retrying. */
  | { kind: 'reconnecting'; message: string; retryAtMs: number }
  /** Never got through (unreachable, refused credentials, permissions); retrying. */
  | { kind: 'error'; message: string; retryAtMs: number };

export interface NetworkListener {
  state(state: ConnectionState): void;
  /** A message's payload, unchecked: `latest` is the stored one read at (re)connection. */
  message(kind: MessageKind, payload: Uint8Array, source: 'latest' | 'live'): void;
}

export interface ConnectOptions {
  connect?: typeof wsconnect;
  /** The backoff's cap. */
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
}

/** What went wrong, in words an operator of the page can act on. */
export function describeError(error: unknown, url: string): string {
  if (error instanceof AuthorizationError)
    return `The network server at ${url} refused the page's credentials.`;
  if (error instanceof PermissionViolationError) {
    return `The network server at ${url} does not allow this page to read the statistics.`;
  }
  return `Cannot reach the network server at ${url}.`;
}

const SUBJECT_OF: Record<MessageKind, string> = { stats: SUBJECTS.stats, feed: SUBJECTS.feed };

export function openNetwork(
  server: NetworkServer,
  listener: NetworkListener,
  options: ConnectOptions = {},
): { close(): Promise<void> } {
  const connect = options.connect ?? wsconnect;
  const maxBackoff = options.maxBackoffMs ?? 15_000;
  const requestTimeout = options.requestTimeoutMs ?? 5_000;
  let closed = false;
  let nc: NatsConnection | undefined;
  const pause = new Wakeable();
  /** Whether a session got through since the last failure, and whether any ever did. */
  let gotThrough = false;
  let everLive = false;

  /** Reads the last stored message of `kind`; nothing stored yet (404, or no stream yet) is not an error. */
  const readLatest = async (conn: NatsConnection, kind: MessageKind) => {
    try {
      const reply = await conn.request(LATEST_SUBJECTS[kind], undefined, {
        timeout: requestTimeout,
      });
      if (!reply.headers?.hasError) listener.message(kind, reply.data, 'latest');
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof NoRespondersError)) throw error;
    }
  };

  /** One connection, until it ends; resolves with why (undefined when closed on purpose). */
  const session = async (): Promise<unknown> => {
    const conn = await connect({
      servers: server.natsUrl,
      ...natsAuth(server),
      inboxPrefix: PUBLIC_INBOX_PREFIX,
      name: 'truwatch network page',
      reconnect: false,
      pingInterval: 20_000,
      maxPingOut: 2,
      timeout: 10_000,
    });
    nc = conn;
    if (closed) return void (await conn.close());
    let failure: unknown;
    const fail = (error: unknown) => {
      failure ??= error;
      void conn.close();
    };
    // Subscribe first, then read the stored messages: nothing published in between is missed (the view
    // ignores a stored snapshot older than a live one).
    for (const kind of ['stats', 'feed'] as const) {
      conn.subscribe(SUBJECT_OF[kind], {
        callback: (error, msg) => (error ? fail(error) : listener.message(kind, msg.data, 'live')),
      });
    }
    try {
      await Promise.all([readLatest(conn, 'stats'), readLatest(conn, 'feed')]);
      if (!failure && !conn.isClosed()) {
        gotThrough = everLive = true;
        listener.state({ kind: 'live' });
      }
    } catch (error) {
      fail(error);
    }
    const ended = await conn.closed();
    return closed ? undefined : (failure ?? ended ?? new Error('the connection closed'));
  };

  void (async () => {
    let attempt = 0;
    listener.state({ kind: 'connecting' });
    while (!closed) {
      let failure: unknown;
      gotThrough = false;
      try {
        failure = await session();
      } catch (error) {
        failure = error;
      }
      if (closed) break;
      if (gotThrough) attempt = 0;
      const wait = backoffDelay(attempt++, 1000, maxBackoff, options.random);
      const refused = failure instanceof AuthorizationError || failure instanceof PermissionViolationError;
      listener.state({
        kind: everLive && !refused ? 'reconnecting' : 'error',
        message: describeError(failure, server.natsUrl),
        retryAtMs: Date.now() + wait,
      });
      await pause.sleep(wait);
    }
  })();

  return {
    async close() {
      closed = true;
      pause.wake();
      await nc?.close();
    },
  };
}
