// A NATS connection over TLS WebSocket (wss://) from Node that trusts a test CA, as a browser would connect.
import {
  credsAuthenticator,
  wsconnect,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/nats-core';
import WebSocket from 'ws';

/** A WebSocket class for nats-core that trusts `ca` (Node 20 has no global WebSocket). */
function trustingWebSocket(ca: string): typeof globalThis.WebSocket {
  class TrustingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca });
    }
  }
  return TrustingWebSocket as unknown as typeof globalThis.WebSocket;
}

/** A WebSocket (wss://) NATS connection that trusts `ca` (`inboxPrefix` as the network page sets it). */
export async function wss(
  url: string,
  ca: string,
  user: string,
  pass: string,
  inboxPrefix?: string,
): Promise<NatsConnection> {
  return wssWith(url, ca, { user, pass, ...(inboxPrefix ? { inboxPrefix } : {}) });
}

/** The same with a user's .creds file (decentralized auth, nats/prod-jwt), as a browser would present it. */
export function wssCreds(
  url: string,
  ca: string,
  creds: Uint8Array,
  inboxPrefix?: string,
): Promise<NatsConnection> {
  return wssWith(url, ca, {
    authenticator: credsAuthenticator(creds),
    ...(inboxPrefix ? { inboxPrefix } : {}),
  });
}

async function wssWith(url: string, ca: string, options: ConnectionOptions): Promise<NatsConnection> {
  const previous = globalThis.WebSocket;
  globalThis.WebSocket = trustingWebSocket(ca);
  try {
    return await wsconnect({ servers: url, reconnect: false, timeout: 5000, ...options });
  } finally {
    globalThis.WebSocket = previous;
  }
}
