// The PWA's runtime configuration (protocol/app-config.ts) from the sidecar's environment, served as
// /config.json (under the federation settings set through the API: federation-settings.ts).
// ENABLE_FEDERATION=true is the operator's consent given at deployment; the app says so.
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { AppConfigSchema, type AppConfig } from '../../protocol/app-config.ts';
import { KEY_PIN_PATTERN, parseKeyPin } from '../../protocol/private-token.ts';
import { ConfigError } from './config-error.ts';

function bool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(`${name}=${env[name]} must be true or false`);
}

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${name}=${value} must be a whole number`);
  return n;
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A NATS URL for browsers: a `nats://` or `tls://` one is refused with why. */
function wsUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = text(env, name);
  if (value && /^(nats|tls):\/\//.test(value))
    throw new ConfigError(
      `${name}=${value}: browsers reach NATS only over WebSocket: give the server's WebSocket endpoint, wss://host:port (its websocket block; ws:// only for a server on this machine)`,
    );
  return value;
}

/** The text of the file a variable names (a .creds file); a file that cannot be read stops the start. */
function fileText(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const path = text(env, name);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${name}=${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
}

/**
 * Token key pins, comma-separated `YYYY-MM-DD:<key id>` (protocol/private-token.ts, as `npm run issuer -- pins`
 * prints them); one that is not a pin stops the start with what is wrong with it.
 */
function keyPins(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const pins = text(env, name)
    ?.split(',')
    .map((pin) => pin.trim().toLowerCase())
    .filter(Boolean);
  for (const pin of pins ?? []) {
    if (parseKeyPin(pin)) continue;
    const shown = pin.length > 80 ? `${pin.slice(0, 80)}…` : pin;
    throw new ConfigError(
      /^[0-9a-f]{64}$/.test(pin)
        ? `${name}: ${shown} has no week: a pin is YYYY-MM-DD:<key id>, the Monday (UTC) of the key's week and its id, as \`npm run issuer -- pins\` prints them`
        : KEY_PIN_PATTERN.test(pin)
          ? `${name}: ${shown}: the date must be the Monday (UTC) its key's week starts`
          : `${name}: ${shown} is not a key pin: YYYY-MM-DD:<64 hex digits>, the Monday (UTC) of the key's week and its id`,
    );
  }
  return pins;
}

/** Drops undefined values, so the JSON holds only what was set. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

const NAMES: Record<string, string> = {
  'federation.enabled': 'ENABLE_FEDERATION',
  'federation.natsUrl': 'FEDERATION_NATS_URL',
  'federation.user': 'FEDERATION_NATS_USER',
  'federation.password': 'FEDERATION_NATS_PASSWORD',
  'federation.creds': 'FEDERATION_NATS_CREDS',
  'federation.taskRetentionDays': 'FEDERATION_TASK_RETENTION_DAYS',
  'federation.heartbeatSeconds': 'FEDERATION_HEARTBEAT_SECONDS',
  'federation.roundSeconds': 'FEDERATION_ROUND_SECONDS',
  'federation.taskHoldSeconds': 'FEDERATION_TASK_HOLD_SECONDS',
  'federation.issuerUrl': 'FEDERATION_ISSUER_URL',
  'federation.issuerName': 'FEDERATION_ISSUER_NAME',
  'federation.issuerInvite': 'FEDERATION_ISSUER_INVITE',
  'federation.issuerKeyPins': 'FEDERATION_ISSUER_KEY_PINS',
  'federation.tokenRoundSeconds': 'FEDERATION_TOKEN_ROUND_SECONDS',
  'network.natsUrl': 'NETWORK_NATS_URL',
  'network.user': 'NETWORK_NATS_USER',
  'network.password': 'NETWORK_NATS_PASSWORD',
  'network.creds': 'NETWORK_NATS_CREDS',
  'monitor.retentionDays': 'LOG_RETENTION_DAYS',
};

export function appConfigFromEnv(env: NodeJS.ProcessEnv): AppConfig {
  const federationUrl = wsUrl(env, 'FEDERATION_NATS_URL');
  const enabled = bool(env, 'ENABLE_FEDERATION');
  const config = {
    federation: defined({
      enabled,
      enabledBy: enabled === undefined ? undefined : ('environment' as const),
      natsUrl: federationUrl,
      user: text(env, 'FEDERATION_NATS_USER'),
      password: text(env, 'FEDERATION_NATS_PASSWORD'),
      creds: fileText(env, 'FEDERATION_NATS_CREDS'),
      broadcastTasks: bool(env, 'FEDERATION_BROADCAST_TASKS'),
      broadcastStats: bool(env, 'FEDERATION_BROADCAST_STATS'),
      receive: bool(env, 'FEDERATION_RECEIVE_ENABLED'),
      taskRetentionDays: int(env, 'FEDERATION_TASK_RETENTION_DAYS'),
      heartbeatSeconds: int(env, 'FEDERATION_HEARTBEAT_SECONDS'),
      roundSeconds: int(env, 'FEDERATION_ROUND_SECONDS'),
      taskHoldSeconds: int(env, 'FEDERATION_TASK_HOLD_SECONDS'),
      issuerUrl: text(env, 'FEDERATION_ISSUER_URL'),
      issuerName: text(env, 'FEDERATION_ISSUER_NAME'),
      issuerInvite: text(env, 'FEDERATION_ISSUER_INVITE'),
      issuerKeyPins: keyPins(env, 'FEDERATION_ISSUER_KEY_PINS'),
      tokenRoundSeconds: int(env, 'FEDERATION_TOKEN_ROUND_SECONDS'),
    }),
    network: defined({
      natsUrl: wsUrl(env, 'NETWORK_NATS_URL') ?? federationUrl,
      user: text(env, 'NETWORK_NATS_USER') ?? 'public',
      password: text(env, 'NETWORK_NATS_PASSWORD') ?? 'public',
      creds: fileText(env, 'NETWORK_NATS_CREDS'),
    }),
    ...(int(env, 'LOG_RETENTION_DAYS') !== undefined && {
      monitor: { retentionDays: int(env, 'LOG_RETENTION_DAYS') },
    }),
  };
  const parsed = v.safeParse(AppConfigSchema, config);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new ConfigError(`${NAMES[path] ?? NAMES[path.replace(/\.\d+$/, '')] ?? path}: ${issue.message}`);
  }
  return parsed.output;
}
