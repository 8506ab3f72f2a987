// For the network page's tests: known stats and feed messages, and the aggregator's part on a real
// nats-server (the latest-messages stream, publications), for tests that need exact control of every
// field or of timing (test/e2e/network-live.spec.ts runs the real aggregator).
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { windowOf, type FeedMessage, type Hour, type StatsMessage } from '../../protocol/federation.ts';
import { LATEST_STREAM, SUBJECTS } from '../../protocol/subjects.ts';
import { DEV_USERS, type NatsServer } from './nats-server.ts';

const HOUR_MS = 3_600_000;

/** A valid snapshot taken `at` (whole seconds), with a 7-day hourly series ending in the current hour. */
export function sampleStats(at = Date.now(), overrides: Partial<StatsMessage> = {}): StatsMessage {
  const hourly: Hour[] = [];
  const lastHour = Math.floor(at / HOUR_MS) * HOUR_MS;
  for (let i = 167; i >= 0; i--) {
    const start = lastHour - i * HOUR_MS;
    const wave = Math.round(40 + 30 * Math.sin((start / HOUR_MS / 24) * 2 * Math.PI));
    hourly.push({
      hour: new Date(start).toISOString().replace('.000Z', 'Z'),
      completed: wave + (i % 7),
      failed: i % 5 === 0 ? 3 : 1,
      nodes: 20 + (wave >> 2),
    });
  }
  return {
    v: 1,
    at: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    activeNodes: 37,
    nodesToday: 52,
    tasks: { lastHour: 214, last24h: 4812, last7d: 30517 },
    outcomes: { completed: 4650, failed: 162 },
    kinds: { function: 3900, api: 880, unknown: 32 },
    chains: { '137': 2900, '1': 1300, '8453': 540, other: 72 },
    duration: { '<1s': 1700, '1-5s': 2100, '5-30s': 800, '30s-2m': 150, '2-10m': 40, '10m+': 2, unknown: 20 },
    steps: { '<1M': 600, '1M-10M': 1900, '10M-100M': 1600, '100M-1B': 500, '1B-10B': 90, unknown: 122 },
    memory: { '<16MiB': 900, '16-64MiB': 2300, '64-256MiB': 1300, '256MiB-1GiB': 250, unknown: 62 },
    regions: { EU: 14, NA: 11, AS: 6, SA: 3, other: 2, unknown: 1 },
    versions: { '2.4': 25, '2.3': 9, other: 3 },
    hourly,
    ...overrides,
  };
}

/** A feed message for the window before `now`'s, with `n` tasks. */
export function sampleFeed(now = Date.now(), n = 3): FeedMessage {
  const window = windowOf(now - 5 * 60_000);
  const kinds = ['function', 'api'] as const;
  return {
    v: 1,
    window,
    tasks: Array.from({ length: n }, (_, i) => ({
      window,
      chain: i % 2 ? '1' : '137',
      kind: kinds[i % 2]!,
      outcome: i === n - 1 ? ('failed' as const) : ('completed' as const),
      duration: '1-5s' as const,
      steps: '10M-100M' as const,
      memory: '16-64MiB' as const,
      cached: i % 2 === 0,
    })),
    more: 0,
  };
}

export interface FakeAggregator {
  jsm: JetStreamManager;
  /** Publishes into the stream: stored as the latest and delivered to subscribers. */
  publish(kind: 'stats' | 'feed', message: unknown): Promise<void>;
  close(): Promise<void>;
}

/** The aggregator's contract: the latest-messages stream, and publications on stats and feed. */
export async function fakeAggregator(server: NatsServer): Promise<FakeAggregator> {
  const nc = await connect({
    servers: server.url,
    user: DEV_USERS.aggregator.user,
    pass: DEV_USERS.aggregator.pass,
    inboxPrefix: '_INBOX_aggregator',
  });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: LATEST_STREAM,
    subjects: [SUBJECTS.stats, SUBJECTS.feed],
    max_msgs_per_subject: 1,
    allow_direct: true,
  });
  const js = jsm.jetstream();
  return {
    jsm,
    async publish(kind, message) {
      await js.publish(SUBJECTS[kind], typeof message === 'string' ? message : JSON.stringify(message));
    },
    close: () => nc.close(),
  };
}
