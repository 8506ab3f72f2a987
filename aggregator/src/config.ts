// The aggregator's settings, from the environment. Every limit that bounds memory or storage is here.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/nats-core';
import { StartError } from './start-error.ts';

export interface AggregatorConfig {
  /** NATS servers, comma-separated (`nats://127.0.0.1:4222`). */
  natsUrl: string;
  natsUser: string;
  natsPassword: string;
  /** A .creds file (decentralized auth, nats/prod-jwt): used instead of user and password when set. */
  natsCreds?: string;
  /** The CA (PEM file) that signed the servers' certificates, for `tls://` URLs and servers that require TLS
   * (nats/cluster); the system's CAs without it. */
  natsCa?: string;
  /** HTTP port of /api/stats, /api/history, /healthz, /metrics; 0 picks a free one. */
  httpPort: number;
  httpHost: string;
  /** Milliseconds between two stats snapshots. */
  statsIntervalMs: number;
  /** Replicas of every stream and bucket (3 on a three-node cluster). */
  replicas: number;
  /** Messages fetched and counted together. */
  batchSize: number;
  /** Batches counted at once by this instance. */
  workers: number;
  /** Least time between two counted heartbeats of one pseudonym. */
  heartbeatMinIntervalMs: number;
  /** Most pseudonyms kept (a day's worth of heartbeating nodes and the previous 7 days). */
  maxNodes: number;
  /** Days of 5-minute rollups kept (history). */
  historyDays: number;
  /** Bytes of dedup keys kept (8 days of tasks); the oldest go first beyond it. */
  dedupMaxBytes: number;
  /** Bytes of node records kept (8 days of pseudonyms); the least recently written go first beyond it. */
  nodesMaxBytes: number;
  /** Bytes of raw ingest messages kept while waiting to be counted. */
  ingestMaxBytes: number;
  /**
   * The anonymous tokens (docs/TRUST.md), when required: the issuer's keys file (every key still accepted, as
   * `npm run issuer` writes it), the issuer's name in the tokens' challenge, and the bytes of spent tokens
   * kept per key. Without it every valid message counts, as before tokens.
   */
  tokens?: { keysFile: string; issuerName: string; spentMaxTokens: number };
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new StartError(`${name} must be a number ≥ 0, not "${raw}"`);
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AggregatorConfig {
  const natsPassword = env.NATS_PASSWORD ?? '';
  const natsCreds = env.NATS_CREDS || undefined;
  const natsCa = env.NATS_CA || undefined;
  if (!natsPassword && !natsCreds)
    throw new StartError('NATS_PASSWORD is required (the aggregator user of nats/users.conf), or NATS_CREDS');
  return {
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    natsUser: env.NATS_USER ?? 'aggregator',
    natsPassword,
    ...(natsCreds ? { natsCreds } : {}),
    ...(natsCa ? { natsCa } : {}),
    httpPort: number(env, 'HTTP_PORT', 8080),
    httpHost: env.HTTP_HOST ?? '127.0.0.1',
    statsIntervalMs: number(env, 'STATS_INTERVAL_MS', 10_000),
    replicas: number(env, 'REPLICAS', 1),
    batchSize: number(env, 'BATCH_SIZE', 1000),
    // One writer per window on a cluster: nats-server 2.9's clustered compare-and-set let two concurrent
    // updates of one key both succeed in our cluster test (counts lost: nats-server#4320, fixed after 2.9.20);
    // on one server two are exact.
    workers: Math.max(1, number(env, 'WORKERS', number(env, 'REPLICAS', 1) > 1 ? 1 : 2)),
    heartbeatMinIntervalMs: number(env, 'HEARTBEAT_MIN_INTERVAL_MS', 20_000),
    maxNodes: number(env, 'MAX_NODES', 200_000),
    historyDays: number(env, 'HISTORY_DAYS', 35),
    dedupMaxBytes: number(env, 'DEDUP_MAX_BYTES', 512 * 1024 ** 2),
    nodesMaxBytes: number(env, 'NODES_MAX_BYTES', 128 * 1024 ** 2),
    ingestMaxBytes: number(env, 'INGEST_MAX_BYTES', 256 * 1024 ** 2),
    ...tokenConfig(env),
  };
}

/**
 * The default bound on one key's spent tokens: the issuer's TOKENS_PER_KEY, so that the tokens it signs cannot
 * fill a bucket. A spent token takes 235 bytes of the account's JetStream storage.
 */
export const SPENT_MAX_TOKENS = 5_000_000;

function tokenConfig(env: NodeJS.ProcessEnv): Pick<AggregatorConfig, 'tokens'> {
  const keysFile = env.TOKEN_KEYS || undefined;
  if (!keysFile) return {};
  const issuerName = env.ISSUER_NAME || undefined;
  if (!issuerName)
    throw new StartError(
      "ISSUER_NAME is required with TOKEN_KEYS: the issuer name the tokens are made for (as the issuer's own ISSUER_NAME)",
    );
  return {
    tokens: { keysFile, issuerName, spentMaxTokens: number(env, 'SPENT_MAX_TOKENS', SPENT_MAX_TOKENS) },
  };
}

/**
 * How the aggregator reaches its servers: their URLs, its .creds file (read at each connect) or its user and
 * password, and the CA it trusts when NATS_CA is set.
 */
export function natsConnection(
  config: AggregatorConfig,
): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'authenticator' | 'tls'> {
  const file = config.natsCreds;
  return {
    servers: config.natsUrl.split(','),
    ...(file
      ? { authenticator: credsAuthenticator(() => readFileSync(file)) }
      : { user: config.natsUser, pass: config.natsPassword }),
    ...(config.natsCa ? { tls: { caFile: config.natsCa } } : {}),
  };
}
