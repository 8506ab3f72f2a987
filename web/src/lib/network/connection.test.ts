// The page's connection against Debian's nats-server with nats/nats.conf: the public user over WebSocket.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNatsServer, type NatsServer } from '../../../../test/support/nats-server.ts';
import { openNetwork, type ConnectionState } from './connection.ts';
import { emptyView, receive, type NetworkView } from './model.ts';
import {
  fakeAggregator,
  sampleFeed,
  sampleStats,
  type FakeAggregator,
} from '../../../../test/support/network-messages.ts';

globalThis.WebSocket ??= (await import('ws')).default as unknown as typeof WebSocket;

/** A page's worth of state: the view and every connection state it went through. */
function watch(server: { natsUrl: string; user?: string; password?: string }, connectTimeoutMs?: number) {
  const states: ConnectionState[] = [];
  const sources: string[] = [];
  let view: NetworkView = emptyView();
  const network = openNetwork(
    { user: 'public', password: 'public', ...server },
    {
      state: (s) => states.push(s),
      message: (kind, payload, source) => {
        sources.push(`${kind}:${source}`);
        view = receive(view, kind, payload, Date.now());
      },
    },
    { maxBackoffMs: 500, ...(connectTimeoutMs !== undefined && { connectTimeoutMs }) },
  );
  return { states, sources, view: () => view, last: () => states.at(-1)?.kind, close: network.close };
}

describe('the network connection', () => {
  let server: NatsServer;
  let aggregator: FakeAggregator;
  beforeAll(async () => {
    server = await startNatsServer();
    aggregator = await fakeAggregator(server);
  });
  afterAll(async () => {
    await aggregator?.close();
    await server?.close();
  });

  it('goes live with nothing stored yet, then shows what is published', async () => {
    const page = watch({ natsUrl: server.wsUrl });
    try {
      await vi.waitFor(() => expect(page.last()).toBe('live'), { timeout: 15_000 });
      expect(page.states[0]).toEqual({ kind: 'connecting' });
      expect(page.view().stats).toBeUndefined();
      const stats = sampleStats();
      await aggregator.publish('stats', stats);
      await vi.waitFor(() => expect(page.view().stats).toEqual(stats), { timeout: 15_000 });
      expect(page.sources).toEqual(['stats:live']);
    } finally {
      await page.close();
    }
  });

  it('reads the stored stats and feed at once, and counts invalid messages without dropping the view', async () => {
    const stats = sampleStats(Date.now(), { activeNodes: 5 });
    const feed = sampleFeed();
    await aggregator.publish('stats', stats);
    await aggregator.publish('feed', feed);
    const page = watch({ natsUrl: server.wsUrl });
    try {
      await vi.waitFor(() => expect(page.last()).toBe('live'), { timeout: 15_000 });
      expect(page.view().stats).toEqual(stats);
      expect(page.view().feed).toEqual([feed]);
      expect(page.sources.sort()).toEqual(['feed:latest', 'stats:latest']);
      await aggregator.publish('stats', { ...stats, activeNodes: -1 });
      await aggregator.publish('feed', 'not json');
      await vi.waitFor(() => expect(page.view().invalid).toBe(2), { timeout: 15_000 });
      expect(page.view().stats).toEqual(stats);
    } finally {
      await page.close();
    }
  });

  it('says why it cannot connect (refused credentials, no server, a server that does not answer) and keeps trying', async () => {
    // Takes connections and never says a word.
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const refused = watch({ natsUrl: server.wsUrl, password: 'wrong' });
    const nowhere = watch({ natsUrl: 'ws://127.0.0.1:9' });
    const mute = watch({ natsUrl: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}` }, 500);
    try {
      await vi.waitFor(
        () => expect(refused.states.filter((s) => s.kind === 'error').length).toBeGreaterThan(1),
        {
          timeout: 20_000,
        },
      );
      expect(refused.states[1]).toMatchObject({ kind: 'error', problem: 'auth' });
      await vi.waitFor(
        () => expect(nowhere.states.filter((s) => s.kind === 'error').length).toBeGreaterThan(1),
        {
          timeout: 20_000,
        },
      );
      expect(nowhere.states[1]).toMatchObject({ kind: 'error', problem: 'unreachable' });
      await vi.waitFor(() => expect(mute.states[1]).toMatchObject({ kind: 'error', problem: 'timeout' }), {
        timeout: 20_000,
      });
    } finally {
      await refused.close();
      await nowhere.close();
      await mute.close();
      silent.close();
    }
  });

  it('reconnects after the server restarts and reads the stored stats again', async () => {
    const stats = sampleStats(Date.now() + 1000, { activeNodes: 9 });
    await aggregator.publish('stats', stats);
    const page = watch({ natsUrl: server.wsUrl });
    try {
      await vi.waitFor(() => expect(page.last()).toBe('live'), { timeout: 15_000 });
      await aggregator.close();
      await server.stop();
      await vi.waitFor(() => expect(page.last()).toBe('reconnecting'), { timeout: 60_000 });
      // The server went away: the first attempt after it says it closed, the next that it cannot be reached.
      await vi.waitFor(
        () => expect(page.states.at(-1)).toMatchObject({ kind: 'reconnecting', problem: 'unreachable' }),
        { timeout: 60_000 },
      );
      await server.restart();
      await vi.waitFor(() => expect(page.last()).toBe('live'), { timeout: 60_000 });
      expect(page.sources.filter((s) => s === 'stats:latest')).toHaveLength(2);
      expect(page.view().stats).toEqual(stats);
      aggregator = await fakeAggregator(server);
    } finally {
      await page.close();
    }
  });

  it('closes for good when asked: its connection leaves the server', async () => {
    const pages = async () => {
      const connz = (await (await fetch(`${server.monitorUrl}/connz`)).json()) as {
        connections?: { name?: string }[];
      };
      return (connz.connections ?? []).filter((c) => c.name === 'truwatch network page').length;
    };
    await vi.waitFor(async () => expect(await pages()).toBe(0), { timeout: 15_000 });
    const page = watch({ natsUrl: server.wsUrl });
    await vi.waitFor(() => expect(page.last()).toBe('live'), { timeout: 15_000 });
    expect(await pages()).toBe(1);
    await page.close();
    await vi.waitFor(async () => expect(await pages()).toBe(0), { timeout: 15_000 });
    expect(page.last()).toBe('live');
  });
});
