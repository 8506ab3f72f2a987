// What each federation user may do against a live aggregator, and the latest-snapshot service the public
// network page relies on (`truebit.v1.latest.*`, which nats/users.conf maps onto the aggregator account's
// direct get; nats/accounts.test.ts shows the accounts' wall itself).
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedMessageSchema, StatsMessageSchema } from '../../protocol/federation.ts';
import { INGEST_SUBJECTS, SUBJECTS, latestSubject } from '../../protocol/subjects.ts';
import { DEV_USERS } from '../../test/support/nats-server.ts';
import { useAggregator } from '../../test/support/aggregator-fixture.ts';
import { monitorConnection, publishAll, task } from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

async function errorsOf(nc: NatsConnection, act: () => Promise<void>): Promise<string> {
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
  })();
  await act();
  await nc.flush();
  await poll(
    'an error on the connection',
    async () => errors.length,
    (n) => n > 0,
    10_000,
  );
  return errors.join('\n');
}

describe('federation permissions with a live aggregator', () => {
  const fixture = useAggregator();
  let pub: NatsConnection;
  beforeAll(async () => {
    pub = await connect({ servers: fixture.server().url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' });
  });
  afterAll(() => pub?.close());

  it('lets the public user read the latest stats and feed through the latest-snapshot service', async () => {
    const nc = await monitorConnection(fixture.server().url);
    await publishAll(nc, SUBJECTS.task, [task(1), task(2), task(3)]);
    await nc.close();
    const stats = await poll(
      'the three tasks in the latest stats',
      async () =>
        v.parse(
          StatsMessageSchema,
          (await pub.request(latestSubject(SUBJECTS.stats), '', { timeout: 5000 })).json(),
        ),
      (s) => s.tasks.lastHour === 3,
    );
    expect(stats.tasks.last7d).toBe(3);
    const feed = await pub.request(latestSubject(SUBJECTS.feed), '', { timeout: 5000 });
    expect(v.safeParse(FeedMessageSchema, feed.json()).success).toBe(true);
  });

  it('refuses the public user any publication', async () => {
    const errors = await errorsOf(pub, async () => {
      pub.publish(SUBJECTS.stats, '{}');
      pub.publish(SUBJECTS.task, '{}');
    });
    expect(errors).toMatch(/Permissions Violation for Publish to "truebit.v1.stats"/);
    expect(errors).toMatch(/Permissions Violation for Publish to "truebit.v1.task"/);
  });

  it('refuses a monitor publishing stats or feed and reading the ingest subjects', async () => {
    const monitor = await monitorConnection(fixture.server().url);
    try {
      const errors = await errorsOf(monitor, async () => {
        monitor.publish(SUBJECTS.stats, '{}');
        monitor.publish(SUBJECTS.feed, '{}');
      });
      expect(errors).toMatch(/Publish to "truebit.v1.stats"/);
      expect(errors).toMatch(/Publish to "truebit.v1.feed"/);
      for (const subject of INGEST_SUBJECTS) {
        const sub = monitor.subscribe(subject);
        await expect(
          (async () => {
            for await (const _ of sub) return 'received';
          })(),
        ).rejects.toThrow(/Permissions Violation for Subscription/);
      }
      await expect(monitor.request(latestSubject(SUBJECTS.stats), '', { timeout: 2000 })).rejects.toThrow();
    } finally {
      await monitor.close();
    }
  });
});
