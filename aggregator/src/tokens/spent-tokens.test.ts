import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../../test/support/nats-server.ts';
import { SpentTokens, spentBucketName, type Spend } from './spent-tokens.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const { user, pass } = DEV_USERS.aggregator;

describe('spent tokens (real nats-server)', () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  const open = async (maxBytes = 1024 ** 2) => {
    const nc = await connect({ servers: server.url, user, pass, inboxPrefix: '_INBOX_aggregator' });
    connections.push(nc);
    return new SpentTokens(nc, await jetstreamManager(nc), { replicas: 1, maxBytes });
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
    const key = hex(32);
    const nonce = hex(32);
    expect(await spent.spend(key, nonce, 't.aaaa')).toBe('new');
    expect(await spent.spend(key, nonce, 't.aaaa')).toBe('mine');
    expect(await spent.spend(key, nonce, 't.bbbb')).toBe('double_spend');
    // The same nonce under another key is another token.
    expect(await spent.spend(hex(32), nonce, 't.bbbb')).toBe('new');
  });

  it('lets exactly one of several instances spending one token at once have it', async () => {
    const instances = await Promise.all([open(), open(), open()]);
    const key = hex(32);
    for (let round = 0; round < 20; round++) {
      const nonce = hex(32);
      const results: Spend[] = await Promise.all(
        instances.map((spent, i) => spent.spend(key, nonce, `t.${i}`)),
      );
      expect(results.filter((r) => r === 'new')).toHaveLength(1);
      expect(results.filter((r) => r === 'double_spend')).toHaveLength(2);
    }
  });

  it('remembers spent tokens across a server restart', async () => {
    const spent = await open();
    const key = hex(32);
    const nonce = hex(32);
    expect(await spent.spend(key, nonce, 'p.node.20261206')).toBe('new');
    await server.stop();
    await server.restart();
    const again = await open();
    expect(await again.spend(key, nonce, 'p.other.20261206')).toBe('double_spend');
    expect(await again.spend(key, nonce, 'p.node.20261206')).toBe('mine');
  });

  it('refuses new tokens when its bucket is full, and keeps those it has', async () => {
    const spent = await open(4096);
    const key = hex(32);
    const nonces: string[] = [];
    let full = 0;
    for (let i = 0; i < 100 && !full; i++) {
      const nonce = hex(32);
      const result = await spent.spend(key, nonce, `t.${i}`);
      if (result === 'store_full') full++;
      else {
        expect(result).toBe('new');
        nonces.push(nonce);
      }
    }
    expect(full).toBe(1);
    expect(nonces.length).toBeGreaterThan(3);
    // Every token recorded before is still spent.
    for (const nonce of nonces) expect(await spent.spend(key, nonce, 't.forged')).toBe('double_spend');
  });

  it('forgets a retired key whole', async () => {
    const spent = await open();
    const key = hex(32);
    const nonce = hex(32);
    await spent.spend(key, nonce, 't.x');
    const jsm = await jetstreamManager(connections.at(-1)!);
    await expect(jsm.streams.info(`KV_${spentBucketName(key)}`)).resolves.toBeTruthy();
    await spent.retire(key);
    await expect(jsm.streams.info(`KV_${spentBucketName(key)}`)).rejects.toThrow(/stream not found/i);
    await spent.retire(key); // again: nothing to do
  });
});
