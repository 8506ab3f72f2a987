// Shared by the aggregator's tests and benchmarks: configs against a test nats-server, message makers, and
// reading the aggregator's HTTP answers (stats, metrics) until it has counted what was sent.
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  hourOf,
  windowOf,
  type ActivityMessage,
  type HeartbeatMessage,
  type StatsMessage,
  type TaskMessage,
} from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { DEV_USERS, type NatsServer } from './nats-server.ts';
import { natsConnection, type AggregatorConfig } from '../../aggregator/src/config.ts';
import { setUp } from '../../aggregator/src/setup.ts';
import { poll } from './poll.ts';

export function testConfig(
  server: NatsServer | string,
  overrides: Partial<AggregatorConfig> = {},
): AggregatorConfig {
  return {
    natsUrl: typeof server === 'string' ? server : server.url,
    natsUser: DEV_USERS.aggregator.user,
    natsPassword: DEV_USERS.aggregator.pass,
    httpPort: 0,
    httpHost: '127.0.0.1',
    statsIntervalMs: 200,
    replicas: 1,
    batchSize: 1000,
    workers: 2,
    heartbeatMinIntervalMs: 20_000,
    maxNodes: 200_000,
    historyDays: 35,
    dedupMaxBytes: 64 * 1024 ** 2,
    nodesMaxBytes: 64 * 1024 ** 2,
    ingestMaxBytes: 64 * 1024 ** 2,
    ...overrides,
  };
}

/** The environment `npm run aggregator` reads, for a child process. */
export function configEnv(config: AggregatorConfig): Record<string, string> {
  return {
    NATS_URL: config.natsUrl,
    NATS_USER: config.natsUser,
    NATS_PASSWORD: config.natsPassword,
    ...(config.natsCreds ? { NATS_CREDS: config.natsCreds } : {}),
    ...(config.natsCa ? { NATS_CA: config.natsCa } : {}),
    HTTP_PORT: String(config.httpPort),
    STATS_INTERVAL_MS: String(config.statsIntervalMs),
    REPLICAS: String(config.replicas),
    BATCH_SIZE: String(config.batchSize),
    WORKERS: String(config.workers),
    HEARTBEAT_MIN_INTERVAL_MS: String(config.heartbeatMinIntervalMs),
    MAX_NODES: String(config.maxNodes),
    DEDUP_MAX_BYTES: String(config.dedupMaxBytes),
    NODES_MAX_BYTES: String(config.nodesMaxBytes),
    INGEST_MAX_BYTES: String(config.ingestMaxBytes),
    ...(config.tokens
      ? {
          TOKEN_KEYS: config.tokens.keysFile,
          ISSUER_NAME: config.tokens.issuerName,
          SPENT_MAX_TOKENS: String(config.tokens.spentMaxTokens),
        }
      : {}),
  };
}

export const hmac = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

export function task(i: number, overrides: Partial<TaskMessage> = {}): TaskMessage {
  return {
    v: 1,
    key: hmac(`task ${i}`),
    window: windowOf(Date.now()),
    chain: ['1', '137', '11155111'][i % 3]!,
    kind: i % 5 === 0 ? 'api' : 'function',
    outcome: i % 7 === 0 ? 'failed' : 'completed',
    duration: '1-5s',
    steps: '10M-100M',
    memory: '16-64MiB',
    cached: i % 2 === 0,
    client: '0.1.0',
    ...overrides,
  };
}

export function heartbeat(i: number, overrides: Partial<HeartbeatMessage> = {}): HeartbeatMessage {
  return {
    v: 1,
    node: hmac(`node ${i}`),
    status: 'running',
    slots: '1',
    tasks24h: '1-9',
    version: '1.2',
    client: '0.1.0',
    region: 'EU',
    ...overrides,
  };
}

/** Node `i`'s activity report for the hour that holds `ms` (its pseudonym is one per node and UTC day). */
export function activity(i: number, ms: number, overrides: Partial<ActivityMessage> = {}): ActivityMessage {
  return {
    v: 1,
    node: hmac(`node ${i} ${new Date(ms).toISOString().slice(0, 10)}`),
    hour: hourOf(ms),
    version: '1.2',
    client: '0.1.0',
    region: 'EU',
    ...overrides,
  };
}

export async function monitorConnection(url: string): Promise<NatsConnection> {
  return connect({ servers: url, user: DEV_USERS.monitor.user, pass: DEV_USERS.monitor.pass });
}

/** Publishes as a monitor does (core NATS), then flushes. */
export async function publishAll(
  nc: NatsConnection,
  subject: string,
  messages: (object | string)[],
): Promise<void> {
  for (const [i, m] of messages.entries()) {
    nc.publish(subject, typeof m === 'string' ? m : JSON.stringify(m));
    if (i % 1000 === 999) await nc.flush();
  }
  await nc.flush();
}

export { SUBJECTS };

export const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
};

/** One sample of the aggregator's /metrics, by its full name with labels. */
export async function metricValue(httpUrl: string, name: string): Promise<number> {
  const value = (await metricValues(httpUrl))[name];
  if (value === undefined) throw new Error(`no metric ${name}`);
  return value;
}

/** Every sample of the aggregator's /metrics, by its full name with labels. */
async function metricValues(httpUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return Object.fromEntries(
    samples.map((line) => line.split(' ')).map(([name, value]) => [name, Number(value)]),
  );
}

/**
 * Waits until the aggregator's ingest backlog is empty in a lag it asked the consumer for at `since` or later: the
 * gauge is refreshed once a second, so one from before the last publish could still say 0.
 */
export async function waitBacklogEmpty(httpUrl: string, since: number, timeoutMs = 120_000): Promise<void> {
  await poll(
    `an empty backlog, asked for at ${new Date(since).toISOString()} or later`,
    async () => {
      const m = await metricValues(httpUrl);
      return { lag: m['truwatch_consumer_lag'], askedAt: m['truwatch_consumer_lag_timestamp_seconds'] };
    },
    ({ lag, askedAt }) => lag === 0 && askedAt !== undefined && askedAt >= since / 1000,
    timeoutMs,
  );
}

/** Creates the streams and buckets as an aggregator does, so a test can publish before one runs. */
export async function prepareStreams(config: AggregatorConfig): Promise<void> {
  const nc = await connect({
    ...natsConnection(config),
    inboxPrefix: '_INBOX_aggregator',
  });
  await setUp(nc, config);
  await nc.close();
}

/** Waits until the aggregator at `httpUrl` has counted `tasks` tasks (7 days) and its backlog is empty. */
export async function waitCounted(
  httpUrl: string,
  tasks: number,
  timeoutMs = 120_000,
): Promise<StatsMessage> {
  // The caller published before it called. Its tasks are covered by their count; anything else it published, once
  // stored (on a cluster the stream's leader may store it a little later), by a lag asked for after the call.
  const since = Date.now();
  await poll(
    `${tasks} tasks counted`,
    () => getJson<StatsMessage>(`${httpUrl}/api/stats`),
    (s) => s.tasks.last7d >= tasks,
    timeoutMs,
  );
  await waitBacklogEmpty(httpUrl, since, timeoutMs);
  // The snapshot is computed at most once a second: read one computed after the backlog emptied.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  return getJson<StatsMessage>(`${httpUrl}/api/stats`);
}
