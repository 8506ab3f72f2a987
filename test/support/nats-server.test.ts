import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from './nats-server.ts';

describe('the development nats-server (nats/nats.conf)', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.close());

  it('refuses a monitor publishing outside the ingest subjects and allows it inside', async () => {
    const aggregator = await connect({
      servers: server.url,
      ...DEV_USERS.aggregator,
      inboxPrefix: '_INBOX_aggregator',
    });
    const monitor = await connect({ servers: server.url, ...DEV_USERS.monitor });
    try {
      const denied: string[] = [];
      void (async () => {
        for await (const s of monitor.status()) if (s.type === 'error') denied.push(String(s.error));
      })();
      monitor.publish(SUBJECTS.stats, '{}');
      monitor.publish(SUBJECTS.task, '{}');
      // Refused too, and answered in order after the two before: once its error is here, so is theirs.
      monitor.publish(SUBJECTS.feed, '{}');
      await monitor.flush();
      await vi.waitFor(() => expect(denied.join('\n')).toMatch(/Publish to "truebit.v1.feed"/), {
        timeout: 10_000,
      });
      expect(denied.join('\n')).toMatch(/Permissions Violation for Publish to "truebit.v1.stats"/);
      expect(denied.join('\n')).not.toMatch(/truebit.v1.task/);
    } finally {
      await monitor.close();
      await aggregator.close();
    }
  });

  it('survives a restart on the same ports', async () => {
    await server.stop();
    await server.restart();
    const response = await fetch(`${server.monitorUrl}/healthz`);
    expect(response.ok).toBe(true);
  });
});
