import { describe, expect, it } from 'vitest';
import type { NodeHealth } from '../../../../protocol/node-health.ts';
import { verdictNotification } from './verdict-notification.ts';

const both = { degraded: true, recovered: true };
const healthy: NodeHealth = { verdict: 'healthy', since: '2026-12-06T10:00:00.000Z', reasons: [] };
const down: NodeHealth = {
  verdict: 'down',
  since: '2026-12-06T11:00:00.000Z',
  reasons: [
    { code: 'container', verdict: 'down', text: 'The container exited.', since: '2026-12-06T11:00:00.000Z' },
    {
      code: 'stale',
      verdict: 'degraded',
      text: 'No log entry for 40 min.',
      since: '2026-12-06T10:50:00.000Z',
    },
  ],
};
const degraded: NodeHealth = { ...down, verdict: 'degraded', reasons: [down.reasons[1]!] };

describe('verdictNotification', () => {
  it('records the first verdict a browser sees without notifying it', () => {
    expect(verdictNotification(down, undefined, both)).toBeUndefined();
  });

  it('notifies a node going down with every reason in the sidecar’s words', () => {
    expect(verdictNotification(down, { verdict: 'healthy', since: healthy.since }, both)).toEqual({
      title: 'Node down',
      body: 'The container exited.\nNo log entry for 40 min.',
      tag: 'truwatch-verdict-2026-12-06T11:00:00.000Z',
    });
  });

  it('notifies the same verdict once (a reload, a second tab)', () => {
    expect(verdictNotification(down, { verdict: 'down', since: down.since }, both)).toBeUndefined();
    // New reasons within the same verdict are not a new alert, as in the sidecar.
    expect(
      verdictNotification(down, { verdict: 'down', since: '2026-12-06T09:00:00.000Z' }, both),
    ).toBeUndefined();
  });

  it('notifies degraded and recovered only when asked to; down always', () => {
    const last = { verdict: 'healthy' as const, since: healthy.since };
    const none = { degraded: false, recovered: false };
    expect(verdictNotification(degraded, last, none)).toBeUndefined();
    expect(verdictNotification(degraded, last, both)?.title).toBe('Node degraded');
    expect(verdictNotification(down, last, none)?.title).toBe('Node down');
    const wasDown = { verdict: 'down' as const, since: down.since };
    expect(verdictNotification(healthy, wasDown, none)).toBeUndefined();
    expect(verdictNotification(healthy, wasDown, both)).toMatchObject({
      title: 'Node recovered',
      body: 'Healthy again after being down.',
    });
  });
});
