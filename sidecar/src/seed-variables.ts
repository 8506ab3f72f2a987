// The variables of the original TrueBit Node Monitor's README and federation docs, which operators already
// have in their files: each is read as what replaces it here, or stops the start with one line saying what
// replaces it and why. (PORT, CONTAINER_NAME, API_KEY and TASK_DATA_PASSWORD mean the same in both.)
import { ConfigError } from './config-error.ts';

/** Variables with no equivalent, and why: a start with any of them set stops with the reason. */
const REFUSED: [name: string, why: string][] = [
  [
    'DB_PATH',
    'the history lives in your browser (IndexedDB), not in a database beside the sidecar; the sidecar keeps only DATA_DIR',
  ],
  [
    'FEDERATION_NODE_ID',
    "the node's federation id is a pseudonym that changes every day, made from the node's federation secret (docs/FEDERATION.md); a fixed id would link all of the node's messages",
  ],
  [
    'FEDERATION_RECONNECT_TIMEOUT',
    'the app reconnects by itself, waiting 1 s doubling up to a minute, and its Federation page says when it tries again',
  ],
];

const WEBSOCKET =
  'there is no WebSocket server: the live stream is Server-Sent Events at /api/events on PORT, behind the API token';

/**
 * `env` with the original monitor's names read as ours (an alias given along with ours must agree with it),
 * after refusing those that have no equivalent.
 */
export function readSeedVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  for (const [name, why] of REFUSED)
    if (set(env[name])) throw new ConfigError(`${name} is not used: ${why}. Remove it.`);
  const ws = Object.keys(env).find((name) => name.startsWith('WS_') && set(env[name]));
  if (ws) throw new ConfigError(`${ws} is not used: ${WEBSOCKET}. Remove it.`);

  const out = { ...env };
  alias(out, 'FEDERATION_SEED_URL', 'FEDERATION_NATS_URL', env.FEDERATION_SEED_URL);
  const interval = env.FEDERATION_BROADCAST_INTERVAL_MS?.trim();
  if (set(interval)) {
    const ms = Number(interval);
    if (!Number.isInteger(ms) || ms % 1000 !== 0 || ms < 1000 || ms > 3_600_000)
      throw new ConfigError(
        `FEDERATION_BROADCAST_INTERVAL_MS=${interval}: the time between two heartbeats is in whole seconds here, from 1000 to 3600000 ms (FEDERATION_HEARTBEAT_SECONDS)`,
      );
    alias(out, 'FEDERATION_BROADCAST_INTERVAL_MS', 'FEDERATION_HEARTBEAT_SECONDS', String(ms / 1000));
  }
  checkTls(env.FEDERATION_TLS_ENABLED, out.FEDERATION_NATS_URL);
  return out;
}

function set(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Reads `seedName`'s value as `ourName`; both set to different values is a contradiction to resolve. */
function alias(env: NodeJS.ProcessEnv, seedName: string, ourName: string, value: string | undefined): void {
  if (!set(value)) return;
  const ours = env[ourName]?.trim();
  if (set(ours) && ours !== value.trim())
    throw new ConfigError(
      `${seedName} (the original monitor's name for ${ourName}) and ${ourName} are both set, to different values: keep ${ourName}`,
    );
  env[ourName] = value.trim();
}

/** FEDERATION_TLS_ENABLED is honoured as a check: TLS is in the URL itself (wss://). */
function checkTls(value: string | undefined, url: string | undefined): void {
  if (!set(value)) return;
  const tls = value.trim().toLowerCase();
  if (!['true', 'false', '1', '0'].includes(tls))
    throw new ConfigError(`FEDERATION_TLS_ENABLED=${value} must be true or false`);
  if (!url) return;
  const wss = url.startsWith('wss://');
  if ((tls === 'true' || tls === '1') !== wss)
    throw new ConfigError(
      `FEDERATION_TLS_ENABLED=${value} but FEDERATION_NATS_URL is ${url}: TLS is the URL's scheme here, wss:// with TLS, ws:// without (for a server on this machine only)`,
    );
}
