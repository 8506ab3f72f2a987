import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it, vi } from 'vitest';
import type { FederationState } from '../../../../../protocol/federation-status.ts';
import { Connection } from './connection.ts';

describe('connection', () => {
  it('keeps trying, and tries at once when asked instead of waiting out the backoff', async () => {
    const attempts: number[] = [];
    const states: FederationState[] = [];
    // Beside the real server tests (service.test.ts): a server that is never there.
    const connect = async (_: ConnectionOptions): Promise<NatsConnection> => {
      attempts.push(Date.now());
      throw new Error('connection refused');
    };
    const connection = new Connection({
      settings: { url: 'ws://127.0.0.1:1', user: 'u', password: 'p' },
      onState: (state) => states.push(state),
      onConnected: () => undefined,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      connect,
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
});
