// Federation errors as the codes operators quote (FED_001…FED_011), each with the fix: the worker raises them,
// the pages show them (StatusPanel.svelte). Kept apart from worker/errors.ts, whose classify() turns what was
// thrown into a code and needs the NATS client for it, so a page shows the codes without loading the client.
export const FED_ERRORS = {
  FED_001: {
    title: 'Server unavailable or not set',
    fix: 'No federation server URL is set, or the server cannot be reached. Set the server URL (Federation settings, FEDERATION_NATS_URL beside the sidecar, or its POST /api/federation/settings) and check your network; with a URL set, truwatch keeps retrying and sends what waited once the server is back.',
  },
  FED_002: {
    title: 'Authentication failed',
    fix: 'The server refused the user and password, or the .creds file is not one. Copy the credentials the federation publishes into Settings.',
  },
  FED_003: {
    title: 'Message validation failed',
    fix: 'A message did not pass the privacy guard or the schema and was not sent. Nothing to do: it is counted, never sent. Report it if it happens often.',
  },
  FED_004: {
    title: 'Rate limited',
    fix: 'The server refused more connections or messages for now. truwatch waits and retries by itself.',
  },
  FED_005: {
    title: 'Invalid identity',
    fix: 'This browser cannot get or use the node\'s secret. If the sidecar refused this browser, open its pairing link again; if it cannot be reached, start it (federation goes on under the last secret it gave). If the secret is unreadable, use "Reset identity" on the Federation page.',
  },
  FED_006: {
    title: 'Storage error',
    fix: "This browser's storage (IndexedDB) failed or is full. Free some space or allow storage for this site, then reload.",
  },
  FED_007: {
    title: 'Timeout',
    fix: 'The server did not answer in time. truwatch retries; if it persists, check the network or the server load.',
  },
  FED_008: {
    title: 'TLS error',
    fix: 'The secure connection failed: use a wss:// URL with a valid certificate (a page served over https cannot open ws://).',
  },
  FED_009: {
    title: 'Protocol version mismatch',
    fix: 'The federation speaks another protocol version than this truwatch. Update truwatch.',
  },
  FED_010: {
    title: 'Permission denied',
    fix: 'The server does not let these credentials publish federation messages. Use the monitor credentials of the federation.',
  },
  FED_011: {
    title: 'Tokens unavailable',
    fix: "truwatch could not fetch anonymous tokens from the federation's issuer. Tasks and activity reports wait for tokens (heartbeats go on without one, and count for nothing where the federation requires tokens). Check the issuer URL and your invite code (Federation settings, or FEDERATION_ISSUER_* beside the sidecar); an issuer that calls itself by another name needs that name set as the issuer name. A key that is not pinned means the issuer showed a key this truwatch does not trust: ask the federation's host, and update the pins. truwatch tries again at its next round.",
  },
} as const;

export type FedCode = keyof typeof FED_ERRORS;

export interface FedError {
  code: FedCode;
  /** What happened, for people (never holds a message's content). */
  message: string;
  atMs: number;
  /** The subject the server refused a publication on (FED_010). */
  subject?: string;
}

/**
 * What ends the cause of each error, so its box goes: a connection that opened, a message the server took (on
 * the refused subject, for FED_010), the node's secret confirmed, a scan of the databases that went through, a
 * valid message received, tokens fetched. A change of settings ends every one. FED_003 and FED_009 are about one message, so the
 * next good one ends them.
 */
export type Recovery = 'connected' | 'sent' | 'secret' | 'scanned' | 'received' | 'tokens';

export const ENDED_BY: Record<FedCode, readonly Recovery[]> = {
  FED_001: ['connected'],
  FED_002: ['connected'],
  FED_003: ['sent', 'received'],
  FED_004: ['connected', 'sent'],
  FED_005: ['secret'],
  FED_006: ['scanned', 'sent'],
  FED_007: ['connected', 'sent'],
  FED_008: ['connected'],
  FED_009: ['received'],
  FED_010: ['sent'],
  FED_011: ['tokens'],
};

/** Errors that retrying with the same settings will not fix: the state shows ERROR rather than RECONNECTING. */
export const PERSISTENT: ReadonlySet<FedCode> = new Set([
  'FED_002',
  'FED_005',
  'FED_008',
  'FED_009',
  'FED_010',
]);

export function fedError(code: FedCode, message: string, atMs = Date.now(), subject?: string): FedError {
  return { code, message: message.slice(0, 300), atMs, ...(subject !== undefined && { subject }) };
}
