// The feed of a closed window, published once however many instances tick, and read by the public user.
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  FeedMessageSchema,
  MAX_FEED_TASKS,
  WINDOW_MS,
  windowOf,
  type StatsMessage,
} from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { DEV_USERS } from '../../test/support/nats-server.ts';
import { useAggregator } from '../../test/support/aggregator-fixture.ts';
import { Metrics } from './metrics.ts';
import { FEED_DELAY_MS, publishTick, type Publisher } from './publish.ts';
import { setUp } from './setup.ts';
import { computeStats } from './stats.ts';
import {
  getJson,
  monitorConnection,
  publishAll,
  task,
  testConfig,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

describe('the feed', () => {
  const fixture = useAggregator();

  it('publishes the tasks of a closed window once, at most MAX_FEED_TASKS of them plus how many more', async () => {
    const window = windowOf(Date.now() - 20 * 60_000);
    const monitor = await monitorConnection(fixture.server().url);
    await publishAll(
      monitor,
      SUBJECTS.task,
      Array.from({ length: 250 }, (_, i) => task(i, { window })),
    );
    await monitor.close();
    await poll(
      '250 tasks in the last hour',
      () => getJson<StatsMessage>(`${fixture.aggregator().httpUrl}/api/stats`),
      (s) => s.tasks.lastHour === 250,
    );

    const pub = await connect({
      servers: fixture.server().url,
      ...DEV_USERS.public,
      inboxPrefix: '_INBOX_public',
    });
    const feeds = pub.subscribe(SUBJECTS.feed);
    const nc = await connect({
      servers: fixture.server().url,
      ...DEV_USERS.aggregator,
      inboxPrefix: '_INBOX_aggregator',
    });
    try {
      const store = await setUp(nc, testConfig(fixture.server()));
      const metrics = new Metrics();
      const publisher: Publisher = {
        js: jetstream(nc),
        leases: store.leases,
        rollups: store.rollups,
        instance: '0123456789abcdef',
        metrics,
        intervalMs: 10_000,
        stats: (now) => computeStats([], [], now),
      };
      const closedAt = Date.parse(window) + WINDOW_MS + FEED_DELAY_MS + 1;
      await publishTick(publisher, closedAt);
      await publishTick(publisher, closedAt + 1000);
      expect(metrics.feedsPublished).toBe(1);
      for await (const m of feeds) {
        const feed = v.parse(FeedMessageSchema, m.json());
        if (feed.window !== window) continue;
        expect(feed.tasks).toHaveLength(MAX_FEED_TASKS);
        expect(feed.more).toBe(50);
        expect(feed.tasks.every((t) => t.window === window)).toBe(true);
        break;
      }
    } finally {
      await pub.close();
      await nc.close();
    }
  });
});
