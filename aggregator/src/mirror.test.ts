// A KV mirror over a large bucket, as the aggregator user (its watch needs flow control answered).
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../test/support/nats-server.ts';
import { Mirror } from './mirror.ts';
import { poll } from '../../test/support/poll.ts';

const KEYS = 20_000;

describe('a KV mirror', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url, ...DEV_USERS.aggregator, inboxPrefix: '_INBOX_aggregator' });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  it(`copies a bucket of ${KEYS} keys, follows it, and holds no more keys than its limit (the latest written)`, async () => {
    const kv = await new Kvm(nc).create('mirror-test', { history: 1 });
    const value = JSON.stringify({ pad: 'x'.repeat(200) });
    for (let b = 0; b < KEYS / 1000; b++)
      await Promise.all(Array.from({ length: 1000 }, (_, i) => kv.put(`k.${b}.${i}`, value)));
    const decode = () => 1;
    const mirror = new Mirror(kv, decode, 100_000);
    const bounded = new Mirror(kv, decode, 1000);
    await Promise.all([mirror.ready, bounded.ready]);
    expect(mirror.map.size).toBe(KEYS);
    await kv.put('k.new', value);
    await poll('the new key in the mirror', async () => mirror.map.has('k.new'), Boolean, 20_000);
    expect(bounded.map.size).toBe(1000);
    expect(bounded.evicted).toBeGreaterThanOrEqual(KEYS - 1000);
    // The least recently written made room: the last batch is held, and the key written after it.
    await poll('the new key in the bounded mirror', async () => bounded.map.has('k.new'), Boolean, 20_000);
    expect(bounded.map.size).toBe(1000);
    expect(bounded.map.has(`k.${KEYS / 1000 - 1}.999`)).toBe(true);
    expect(bounded.map.has('k.0.0')).toBe(false);
    mirror.stop();
    bounded.stop();
  }, 120_000);
});
