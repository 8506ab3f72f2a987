import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it, vi } from 'vitest';
import type { FederationState } from '../../../../../protocol/federation-status.ts';
import { Connection, flushed } from './connection.ts';

/** A connection through `connect` with a backoff of a minute, and the states it went through. */
function connectionWith(
  connect: (options: ConnectionOptions) => Promise<NatsConnection>,
  onConnected: (nc: NatsConnection) => Promise<void> | void = () => undefined,
) {
  const states: FederationState[] = [];
  const connection = new Connection({
    settings: { url: 'ws://127.0.0.1:1', user: 'u', password: 'p' },
    onState: (state) => states.push(state),
    onConnected,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
    connect,
  });
  return { connection, states };
}

describe('connection', () => {
  it('keeps trying, and tries at once when asked instead of waiting out the backoff', async () => {
    const attempts: number[] = [];
    // Beside the real server tests (service.test.ts): a server that is never there.
    const { connection, states } = connectionWith(async () => {
      attempts.push(Date.now());
      throw new Error('connection refused');
    });
    connection.start();
    await vi.waitFor(() => expect(attempts).toHaveLength(1));
    expect(states).toEqual(['CONNECTING', 'RECONNECTING']);
    expect(connection.lastError?.code).toBe('FED_001');
    connection.reconnectNow();
    await vi.waitFor(() => expect(attempts).toHaveLength(2));
    await connection.stop();
    expect(states.at(-1)).toBe('DISABLED');
  });

  it('renews at once: the connection closes and a new one opens without a backoff or an error', async () => {
    let opened = 0;
    // A server that takes every connection and closes none by itself.
    const { connection, states } = connectionWith(async () => {
      opened++;
      let close!: () => void;
      const closed = new Promise<void>((resolve) => (close = resolve));
      return { closed: () => closed, close: async () => close() } as unknown as NatsConnection;
    });
    connection.start();
    await vi.waitFor(() => expect(states).toEqual(['CONNECTING', 'CONNECTED']));
    connection.renew();
    await vi.waitFor(() => expect(states).toEqual(['CONNECTING', 'CONNECTED', 'CONNECTING', 'CONNECTED']));
    expect(opened).toBe(2);
    expect(connection.lastError).toBeNull();
    await connection.stop();
  });

  it('goes on when its connection closes while the work waits for a flush (which nats.js never settles then)', async () => {
    // Beside the real server test (service.test.ts): a connection whose flush is never answered.
    const { connection, states } = connectionWith(
      async () => {
        let close!: () => void;
        let isClosed = false;
        const closed = new Promise<void>((resolve) => (close = resolve));
        return {
          closed: () => closed,
          close: async () => ((isClosed = true), close()),
          isClosed: () => isClosed,
          flush: () => new Promise(() => undefined),
        } as unknown as NatsConnection;
      },
      (nc) => flushed(nc),
    );
    connection.start();
    await vi.waitFor(() => expect(states).toEqual(['CONNECTING', 'CONNECTED']));
    connection.renew();
    await vi.waitFor(() => expect(states).toEqual(['CONNECTING', 'CONNECTED', 'CONNECTING', 'CONNECTED']));
    expect(connection.lastError).toBeNull();
    await connection.stop();
  });
});
