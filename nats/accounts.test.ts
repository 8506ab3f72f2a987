// The development server (nats/nats.conf, nats/users.conf): no reply subject a browser user names reaches
// the aggregator's JetStream, and what nats-server 2.9.10 does with reply subjects across the accounts'
// stream and service imports (nats/README.md, "Accounts").
import { jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_STREAM, SUBJECTS, latestSubject } from '../protocol/subjects.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../test/support/nats-server.ts';
import { testConfig } from '../test/support/federation-traffic.ts';
import { poll } from '../test/support/poll.ts';
import { checkReplyInjection } from '../test/support/reply-injection.ts';

describe('the development server’s accounts', () => {
  it.each(['monitor', 'public'] as const)(
    'keeps every stream, the consumer and every bucket intact when %s names JetStream as the reply',
    async (attacker) => {
      const server: NatsServer = await startNatsServer();
      try {
        const url = server.url;
        await checkReplyInjection(
          {
            config: testConfig(server),
            monitor: () => connect({ servers: url, ...DEV_USERS.monitor }),
            viewer: () => connect({ servers: url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' }),
          },
          attacker,
        );
      } finally {
        await server.close();
      }
    },
    120_000,
  );
});

/**
 * The messages `nc` receives on `subject` once `act` is done: until `count` came (10 s at most), then `ms` more
 * for any beyond them.
 */
async function received(
  nc: NatsConnection,
  subject: string,
  act: () => Promise<void>,
  { count = 0, ms = 500 }: { count?: number; ms?: number } = {},
) {
  const got: Msg[] = [];
  const sub = nc.subscribe(subject, { callback: (_error, msg) => void got.push(msg) });
  await nc.flush();
  await act();
  const deadline = Date.now() + 10_000;
  while (got.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, ms));
  sub.unsubscribe();
  return got;
}

describe('reply subjects across the accounts’ imports (nats-server 2.9.10)', () => {
  let server: NatsServer;
  let aggregator: NatsConnection;
  let monitor: NatsConnection;
  let viewer: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    aggregator = await connect({
      servers: server.url,
      ...DEV_USERS.aggregator,
      inboxPrefix: '_INBOX_aggregator',
    });
    monitor = await connect({ servers: server.url, ...DEV_USERS.monitor });
    viewer = await connect({ servers: server.url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' });
  });
  afterAll(async () => {
    await Promise.allSettled([aggregator, monitor, viewer].map((nc) => nc?.close()));
    await server?.close();
  });

  it('carries a monitor’s reply subject into the aggregator’s account through a stream import', async () => {
    const jsm = await jetstreamManager(aggregator);
    await jsm.streams.add({ name: 'PROBE', subjects: [SUBJECTS.task] });
    const publish = async () => {
      monitor.publish(SUBJECTS.task, '{}', { reply: '_INBOX_aggregator.probe' });
      await monitor.flush();
    };
    // A stream that acknowledges answers the monitor's reply subject inside the aggregator's account: there
    // `$JS.API.STREAM.PURGE.<stream>` would purge. So the ingest stream sends no acknowledgement (no_ack),
    // set here by an update of the existing stream as the aggregator's setup does.
    const acked = await received(aggregator, '_INBOX_aggregator.probe', publish, { count: 1 });
    expect(acked.map((m) => m.json())).toEqual([{ stream: 'PROBE', seq: 1 }]);
    await jsm.streams.update('PROBE', { no_ack: true });
    expect(await received(aggregator, '_INBOX_aggregator.probe', publish)).toEqual([]);
    const stored = await poll(
      'the second message stored',
      async () => (await jsm.streams.info('PROBE')).state.messages,
      (n) => n >= 2,
      10_000,
    );
    expect(stored).toBe(2);
    await jsm.streams.delete('PROBE');
  });

  it('rewrites the public’s reply subject through the service import: JetStream answers inside PUBLIC', async () => {
    const jsm = await jetstreamManager(aggregator);
    await jsm.streams.add({
      name: LATEST_STREAM,
      subjects: [SUBJECTS.stats, SUBJECTS.feed],
      max_msgs_per_subject: 1,
      allow_direct: true,
    });
    await jsm.jetstream().publish(SUBJECTS.stats, '{"latest":true}');
    const reply = await viewer.request(latestSubject(SUBJECTS.stats), '', { timeout: 5000 });
    expect(reply.json()).toEqual({ latest: true });
    expect(reply.headers?.get('Nats-Stream')).toBe(LATEST_STREAM);
    // Nothing stored on the feed yet: the direct get's 404, as before.
    const none = await viewer.request(latestSubject(SUBJECTS.feed), '', { timeout: 5000 });
    expect(none.headers?.code).toBe(404);
    // A reply subject the public names never reaches the aggregator's account: the service import gave
    // JetStream a `_R_.` subject of its own, mapped back to the named one in PUBLIC.
    const leaked = await received(aggregator, '_INBOX_aggregator.probe', async () => {
      viewer.publish(latestSubject(SUBJECTS.stats), '', { reply: '_INBOX_aggregator.probe' });
      await viewer.flush();
    });
    expect(leaked).toEqual([]);
  });

  it('gives monitors no inbox and no way to write into the public’s replies', async () => {
    await expect(monitor.request(latestSubject(SUBJECTS.stats), '', { timeout: 2000 })).rejects.toThrow(
      /Permissions Violation for Subscription/,
    );
    const forged = await received(viewer, '_INBOX_public.>', async () => {
      monitor.publish('_INBOX_public.victim', 'forged');
      viewer.publish('_INBOX_public.victim', 'forged');
      await Promise.all([monitor.flush(), viewer.flush()]);
    });
    expect(forged).toEqual([]);
  });

  it('cannot keep one public client from reading another’s replies: they share one user (a limit)', async () => {
    // With one shared `public` credential, nats-server's permissions cannot tell its connections apart:
    // any of them may subscribe to the whole `_INBOX_public.>` (nats/README.md). What it reads there is the
    // latest stats and feed, which every public client receives anyway.
    const other = await connect({ servers: server.url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' });
    try {
      const seen = await received(
        other,
        '_INBOX_public.>',
        async () => {
          await viewer.request(latestSubject(SUBJECTS.stats), '', { timeout: 5000 });
        },
        { count: 1 },
      );
      expect(seen.map((m) => m.json())).toEqual([{ latest: true }]);
    } finally {
      await other.close();
    }
  });
});
