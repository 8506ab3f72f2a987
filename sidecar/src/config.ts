// The sidecar's configuration, from environment variables (README, "Configuration"). Every value is checked
// here, so a typo stops the start with a sentence that names the variable.
import { basename } from 'node:path';
import type { AppConfig } from '../../protocol/app-config.ts';
import { appConfigFromEnv } from './app-config.ts';
import { ConfigError } from './config-error.ts';
import { readSeedVariables } from './seed-variables.ts';
import { DEFAULT_THRESHOLDS, type HealthThresholds } from './health/judge.ts';
import type { Channel } from './notify/channel.ts';
import { notifyChannels } from './notify/notify-urls.ts';

export { ConfigError };

export type SourceConfig =
  | { kind: 'docker'; containerName: string; socketPath: string }
  | { kind: 'file'; dir: string }
  | { kind: 'replay'; speed: number };

/** The alerts the sidecar sends (NOTIFY_*): present when at least one channel is configured. */
export interface NotifyConfig {
  channels: Channel[];
  /** The node's name in the alerts (NOTIFY_NODE_NAME; else the container's name, the log directory's, "demo"). */
  nodeName: string;
  /** How long a new verdict must hold before it is alerted (NOTIFY_HOLD_SECONDS). */
  holdMs: number;
  /** After an alert, how long changes are held back and coalesced into one (NOTIFY_COOLDOWN_MINUTES). */
  cooldownMs: number;
}

export interface Config {
  source: SourceConfig;
  host: string;
  port: number;
  /** Bearer token for /api/*; generated and kept in dataDir when not given. */
  apiKey?: string;
  /** A bearer token that opens /metrics only (the API token opens it too). */
  metricsToken?: string;
  /** Password for task input/output; generated and kept in dataDir when not given. */
  taskDataPassword?: string;
  dataDir: string;
  /** The node's federation secret, handed to paired browsers; DATA_DIR/federation-secret when not given. */
  federationSecretFile?: string;
  /** Origins allowed to call the API from a browser (CORS), besides the sidecar's own. */
  allowedOrigins: string[];
  /** Host names the sidecar answers to besides loopback ones (a DNS-rebinding guard). */
  allowedHosts: string[];
  /** Where the built PWA is. */
  staticDir: string;
  /** When the node counts as stale, idle or failing (HEALTH_*). */
  health?: HealthThresholds;
  notify?: NotifyConfig;
  /** What /config.json tells the PWA (federation defaults, the network page's server). */
  app?: AppConfig;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

function socketPath(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_SOCKET_PATH) return env.DOCKER_SOCKET_PATH;
  const host = env.DOCKER_HOST;
  if (!host) return DEFAULT_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new ConfigError(
    `DOCKER_HOST=${host}: only unix sockets are supported (unix:///path/to/docker.sock); the sidecar never talks to a remote engine`,
  );
}

function sourceConfig(env: NodeJS.ProcessEnv, demo: boolean): SourceConfig {
  const source = env.SOURCE ?? (demo ? 'replay' : 'docker');
  if (source === 'docker') {
    const containerName = env.CONTAINER_NAME ?? 'runner-node';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(containerName))
      throw new ConfigError(`CONTAINER_NAME=${containerName} is not a valid container name`);
    return { kind: 'docker', containerName, socketPath: socketPath(env) };
  }
  if (source.startsWith('file:')) {
    const dir = source.slice('file:'.length);
    if (!dir) throw new ConfigError('SOURCE=file:<dir> needs the directory of the runner log files');
    return { kind: 'file', dir };
  }
  if (source === 'replay') {
    const speed = Number(env.REPLAY_SPEED ?? '1');
    if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000)
      throw new ConfigError(`REPLAY_SPEED=${env.REPLAY_SPEED} must be a number above 0 and at most 10000`);
    return { kind: 'replay', speed };
  }
  throw new ConfigError(`SOURCE=${source}: use docker, file:<dir> or replay`);
}

function port(value: string | undefined): number {
  const n = Number(value ?? '8090');
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`PORT=${value} is not a port number`);
  return n;
}

function secret(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < 16) throw new ConfigError(`${name} must be at least 16 characters long`);
  return value;
}

/** A whole number (minutes, seconds, percent) from `min` to `max`, or the default. */
function bounded(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name}=${value} must be a whole number from ${min} to ${max}`);
  return n;
}

function healthThresholds(env: NodeJS.ProcessEnv): HealthThresholds {
  const stale = bounded(env, 'HEALTH_STALE_MINUTES', 1, 10_080);
  const idle = bounded(env, 'HEALTH_IDLE_MINUTES', 1, 10_080);
  const failures = bounded(env, 'HEALTH_FAILURE_PERCENT', 1, 100);
  return {
    ...DEFAULT_THRESHOLDS,
    ...(stale !== undefined && { staleMs: stale * 60_000 }),
    ...(idle !== undefined && { idleMs: idle * 60_000 }),
    ...(failures !== undefined && { failureShare: failures / 100 }),
  };
}

function notifyConfig(env: NodeJS.ProcessEnv, source: SourceConfig): NotifyConfig | undefined {
  const holdSeconds = bounded(env, 'NOTIFY_HOLD_SECONDS', 0, 86_400) ?? 60;
  const cooldownMinutes = bounded(env, 'NOTIFY_COOLDOWN_MINUTES', 0, 1440) ?? 10;
  const nodeName = env.NOTIFY_NODE_NAME?.trim();
  if (nodeName !== undefined && nodeName.length > 100)
    throw new ConfigError('NOTIFY_NODE_NAME must be at most 100 characters long');
  const channels = notifyChannels(env);
  if (channels.length === 0) return undefined;
  const fallback =
    source.kind === 'docker' ? source.containerName : source.kind === 'file' ? basename(source.dir) : 'demo';
  return {
    channels,
    nodeName: nodeName || fallback || 'runner-node',
    holdMs: holdSeconds * 1000,
    cooldownMs: cooldownMinutes * 60_000,
  };
}

export function loadConfig(given: NodeJS.ProcessEnv = process.env, options: { demo?: boolean } = {}): Config {
  const env = readSeedVariables(given);
  const config: Config = {
    source: sourceConfig(env, options.demo === true),
    host: env.HOST ?? '127.0.0.1',
    port: port(env.PORT),
    dataDir: env.DATA_DIR ?? '.data',
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    staticDir: env.STATIC_DIR ?? 'build',
    allowedHosts: (env.ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    app: appConfigFromEnv(env),
    health: healthThresholds(env),
  };
  const notify = notifyConfig(env, config.source);
  if (notify) config.notify = notify;
  for (const host of config.allowedHosts) {
    if (!/^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$/.test(host))
      throw new ConfigError(`ALLOWED_HOSTS: "${host}" is not a host name like monitor.lan (no port)`);
  }
  for (const origin of config.allowedOrigins) {
    if (origin === '*')
      throw new ConfigError(
        'ALLOWED_ORIGINS=* would let every web page you visit read your node through your browser: name the origins that may, like https://tru.watch',
      );
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new ConfigError(`ALLOWED_ORIGINS: "${origin}" is not an origin like https://tru.watch`);
  }
  const apiKey = secret('API_KEY', env.API_KEY);
  if (apiKey) config.apiKey = apiKey;
  const metricsToken = secret('METRICS_TOKEN', env.METRICS_TOKEN);
  if (metricsToken) config.metricsToken = metricsToken;
  const password = secret('TASK_DATA_PASSWORD', env.TASK_DATA_PASSWORD);
  if (password) config.taskDataPassword = password;
  const secretFile = env.FEDERATION_SECRET_FILE?.trim();
  if (secretFile) config.federationSecretFile = secretFile;
  return config;
}
