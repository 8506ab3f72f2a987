import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../../test/support/nats-server.ts';
import { MAX_BUCKET_LIFE_MS, SpentTokens, spentBucketName, type Spend } from './spent-tokens.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** Spent on exactly `value`. */
const on = (value: string) => ({ value, isMine: (recorded: string) => recorded === value });
const { user, pass } = DEV_USERS.aggregator;

describe('spent tokens (real nats-server)', () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  const open = async (maxTokens = 5_000_000) => {
    const nc = await connect({ servers: server.url, user, pass, inboxPrefix: '_INBOX_aggregator' });
    connections.push(nc);
    return new SpentTokens(nc, await jetstreamManager(nc), { replicas: 1, maxTokens });
  };
  const streamExists = async (key: string) => {
    const jsm = await jetstreamManager(connections.at(-1)!);
    return jsm.streams.info(`KV_${spentBucketName(key)}`).then(
      () => true,
      (error: unknown) => {
        if (/stream not found/i.test(String(error))) return false;
        throw error;
      },
    );
  };
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const nc of connections) await nc.close();
    await server?.close();
  });

  it('spends a token once: its own binding again is "mine", any other a double spend', async () => {
    const spent = await open();
    const [key, other] = [hex(32), hex(32)];
    await spent.prepare(key);
    await spent.prepare(other);
    const nonce = hex(32);
    expect(await spent.spend(key, nonce, on('t.aaaa'))).toBe('new');
    expect(await spent.spend(key, nonce, on('t.aaaa'))).toBe('mine');
    expect(await spent.spend(key, nonce, on('t.bbbb'))).toBe('double_spend');
    // The same nonce under another key is another token.
    expect(await spent.spend(other, nonce, on('t.bbbb'))).toBe('new');
  });

  it('lets exactly one of several instances spending one token at once have it', async () => {
    const instances = await Promise.all([open(), open(), open()]);
    for (let round = 0; round < 20; round++) {
      // A new key each round, made by every instance at once, as at the start of a week.
      const key = hex(32);
      await Promise.all(instances.map((spent) => spent.prepare(key)));
      const nonce = hex(32);
      const results: Spend[] = await Promise.all(
        instances.map((spent, i) => spent.spend(key, nonce, on(`t.${i}`))),
      );
      expect(results.filter((r) => r === 'new')).toHaveLength(1);
      expect(results.filter((r) => r === 'double_spend')).toHaveLength(2);
    }
  });

  it('remembers spent tokens across a server restart', async () => {
    const spent = await open();
    const key = hex(32);
    await spent.prepare(key);
    const nonce = hex(32);
    expect(await spent.spend(key, nonce, on('p.node.1'))).toBe('new');
    await server.stop();
    await server.restart();
    // Another instance, which did not make the bucket: it finds it.
    const again = await open();
    expect(await again.spend(key, nonce, on('p.other.1'))).toBe('double_spend');
    expect(await again.spend(key, nonce, on('p.node.1'))).toBe('mine');
  });

  it('records another thing a token may be spent on too, once, when the first allows it', async () => {
    const spent = await open();
    const key = hex(32);
    await spent.prepare(key);
    const nonce = hex(32);
    // Spent on "a"; "b" may join it once (as a presence token may take the day next to its own).
    const joining = (value: string) => ({
      value,
      isMine: (recorded: string) => recorded.split('+').includes(value),
      extend: (recorded: string) => (recorded.includes('+') ? undefined : `${recorded}+${value}`),
    });
    expect(await spent.spend(key, nonce, joining('a'))).toBe('new');
    expect(await spent.spend(key, nonce, joining('b'))).toBe('mine');
    expect(await spent.spend(key, nonce, joining('b'))).toBe('mine');
    expect(await spent.spend(key, nonce, joining('a'))).toBe('mine');
    expect(await spent.spend(key, nonce, joining('c'))).toBe('double_spend');
  });

  it('makes the buckets of many keys, bounded by tokens, in a server with little storage', async () => {
    // nats/nats.conf gives JetStream 2 GB: a bucket bounded by bytes would set its bound aside when made.
    const spent = await open();
    const keys = Array.from({ length: 12 }, () => hex(32));
    for (const key of keys) await spent.prepare(key);
    for (const key of keys) expect(await spent.spend(key, hex(32), on('t.x'))).toBe('new');
  });

  it('refuses new tokens when its bucket is full, and keeps those it has', async () => {
    const spent = await open(20);
    const key = hex(32);
    await spent.prepare(key);
    const nonces: string[] = [];
    let full = 0;
    for (let i = 0; i < 100 && !full; i++) {
      const nonce = hex(32);
      const result = await spent.spend(key, nonce, on(`t.${i}`));
      if (result === 'store_full') full++;
      else {
        expect(result).toBe('new');
        nonces.push(nonce);
      }
    }
    expect(full).toBe(1);
    expect(nonces).toHaveLength(20);
    // Every token recorded before is still spent.
    for (const nonce of nonces) expect(await spent.spend(key, nonce, on('t.forged'))).toBe('double_spend');
  });

  it('never makes a bucket by spending: not before prepare(), nor after retire()', async () => {
    const spent = await open();
    const key = hex(32);
    const nonce = hex(32);
    expect(await spent.spend(key, nonce, on('t.x'))).toBe('no_store');
    expect(await streamExists(key)).toBe(false);
    await spent.prepare(key);
    expect(await spent.spend(key, nonce, on('t.x'))).toBe('new');
    await spent.retire(key);
    expect(await streamExists(key)).toBe(false);
    // Spent again after its key's bucket was deleted (a message counted late): no empty bucket is made in
    // which the token would count again, whether this instance held the bucket or not.
    expect(await spent.spend(key, nonce, on('t.y'))).toBe('no_store');
    const elsewhere = await open();
    expect(await elsewhere.spend(key, nonce, on('t.y'))).toBe('no_store');
    expect(await streamExists(key)).toBe(false);
    await spent.retire(key); // again: nothing to do
  });

  it('answers no_store, not an error, when a bucket it holds is deleted under it', async () => {
    const [holder, other] = [await open(), await open()];
    const key = hex(32);
    await holder.prepare(key);
    expect(await holder.spend(key, hex(32), on('t.x'))).toBe('new');
    await other.retire(key);
    expect(await holder.spend(key, hex(32), on('t.y'))).toBe('no_store');
    expect(await streamExists(key)).toBe(false);
  });

  it('deletes old buckets of keys it no longer knows, and no other', async () => {
    const spent = await open();
    const [gone, kept] = [hex(32), hex(32)];
    await spent.prepare(gone);
    await spent.prepare(kept);
    expect(await spent.retireUnknown([], Date.now())).toBe(0);
    const later = Date.now() + MAX_BUCKET_LIFE_MS + 60_000;
    expect(await spent.retireUnknown([kept], later)).toBeGreaterThanOrEqual(1);
    expect(await streamExists(gone)).toBe(false);
    expect(await streamExists(kept)).toBe(true);
  });
});
