// The window prefill: one sender sends 200 tasks of 200 invented chains for the next window before anyone
// else, then honest monitors send more tasks of a real chain. The honest chain gets its own cell, and honest
// tasks reach the window's feed in proportion (the feed is what publish.ts sends for the window).
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { MAX_FEED_TASKS, WINDOW_MS, windowOf } from '../../protocol/federation.ts';
import { useAggregator } from '../../test/support/aggregator-fixture.ts';
import {
  SUBJECTS,
  monitorConnection,
  publishAll,
  task,
  waitCounted,
} from '../../test/support/federation-traffic.ts';
import { DEV_USERS } from '../../test/support/nats-server.ts';
import { feedMessage } from './publish.ts';
import { CHAIN_SKETCH_SIZE, rollupKey, type Rollup } from './rollup.ts';
import { BUCKETS } from './setup.ts';

const FAKE = 200;
const HONEST = 600;

describe('a window filled ahead', () => {
  const fixture = useAggregator();

  it('gives the honest chain its cell and the feed its share', async () => {
    const window = windowOf(Date.now() + WINDOW_MS);
    const fake = Array.from({ length: FAKE }, (_, i) =>
      task(50_000 + i, { window, chain: String(900_000 + i) }),
    );
    const honest = Array.from({ length: HONEST }, (_, i) => task(i, { window, chain: '137' }));
    const nc = await monitorConnection(fixture.server().url);
    await publishAll(nc, SUBJECTS.task, fake);
    await nc.flush();
    await publishAll(nc, SUBJECTS.task, honest);
    await nc.close();
    const stats = await waitCounted(fixture.aggregator().httpUrl, FAKE + HONEST);
    expect(stats.tasks.last24h).toBe(FAKE + HONEST);

    // Its own cell: at most the sketch's error short of its 600 tasks (all 600 in a window of few chains).
    expect(stats.chains['137']).toBeLessThanOrEqual(HONEST);
    expect(stats.chains['137']).toBeGreaterThanOrEqual(HONEST - Math.ceil(FAKE / CHAIN_SKETCH_SIZE));
    expect(Object.values(stats.chains).reduce((a, b) => a + b)).toBe(FAKE + HONEST);

    const admin = await connect({
      servers: fixture.server().url,
      ...DEV_USERS.aggregator,
      inboxPrefix: '_INBOX_aggregator',
    });
    try {
      const rollups = await new Kvm(admin).open(BUCKETS.rollups);
      const feed = feedMessage((await rollups.get(rollupKey(window)))!.json<Rollup>(), window);
      expect(feed.tasks).toHaveLength(MAX_FEED_TASKS);
      expect(feed.more).toBe(FAKE + HONEST - MAX_FEED_TASKS);
      // 600 of 800 tasks: 150 of 200 expected (sd ≈ 5); the first-come feed held none of them.
      const share = feed.tasks.filter((t) => t.chain === '137').length;
      console.log(
        JSON.stringify({ chainCell: stats.chains['137'], honestInFeed: share, feed: feed.tasks.length }),
      );
      expect(share).toBeGreaterThan(120);
      expect(share).toBeLessThan(180);
    } finally {
      await admin.close();
    }
  }, 120_000);
});
