// The page's NATS connection, as the `public` user over WebSocket: subscribe to stats and feed, read the
// latest of each at once from the federation's latest-snapshot service (a plain core request), and reconnect
// forever with a capped, jittered backoff.
import {
  AuthorizationError,
  ConnectionError,
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

/**
 * Why the last attempt failed, as far as a browser can tell (it does not say why a WebSocket failed):
 * `unreachable`, it failed at once (nothing listening, refused, or not a NATS WebSocket); `timeout`, nothing
 * answered in time; `auth`, the server refused the credentials; `permission`, it refused a subscription or a
 * read; `closed`, the server closed a connection that was up.
 */
export type Problem = 'unreachable' | 'timeout' | 'auth' | 'permission' | 'closed';

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** The connection dropped; retrying. */
  | { kind: 'reconnecting'; problem: Problem; retryAtMs: number }
  /** Never got through (unreachable, refused credentials, permissions); retrying. */
  | { kind: 'error'; problem: Problem; retryAtMs: number };

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
  /** How long a connection attempt waits for the server's answer. */
  connectTimeoutMs?: number;
  random?: () => number;
}

/** What went wrong, from what the client threw (the page says it in words: explain.ts). */
export function problemOf(error: unknown): Problem {
  if (error instanceof AuthorizationError) return 'auth';
  if (error instanceof PermissionViolationError) return 'permission';
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof ConnectionError && /refused/i.test(error.message)) return 'unreachable';
  return error === undefined || error instanceof ConnectionError ? 'closed' : 'unreachable';
}

const SUBJECT_OF: Record<MessageKind, string> = { stats: SUBJECTS.stats, feed: SUBJECTS.feed };

const CONNECT_TIMEOUT_MS = 10_000;

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
      timeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
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
    return closed ? undefined : (failure ?? ended);
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
      const problem = problemOf(failure);
      listener.state({
        kind: everLive && problem !== 'auth' && problem !== 'permission' ? 'reconnecting' : 'error',
        problem,
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
