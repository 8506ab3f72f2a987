// The alerts end to end: the real sidecar reading a runner's log directory, its real json:// channel, and a real
// local HTTP receiver (node:http) that is up, down or silent. Timings are shortened by options, never waited out.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AlertsResponse, NotificationsStatus } from '../../../protocol/alerts.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { startReceiver } from '../../../test/support/http-receiver.ts';
import { poll } from '../../../test/support/poll.ts';
import { API_KEY, sidecarConfig } from '../../../test/support/sidecar-in-process.ts';
import { openEvents } from '../../../test/support/sse-client.ts';
import { startSidecar, type Sidecar } from '../server.ts';
import type { AlerterTimings } from './alerter.ts';
import { notifyChannels } from './notify-urls.ts';

let dir: string;
let sidecar: Sidecar | undefined;
let receiver: Receiver | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-alerts-'));
});
afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
  await receiver?.close();
  receiver = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Receiver {
  alerts: Alert[];
  close(): Promise<void>;
}

/** A webhook receiver on `port`: answers 200 to each POST, or never answers when `silent`. */
async function listen(port: number, silent = false): Promise<Receiver> {
  const receiver = await startReceiver(port);
  if (silent) receiver.answer('hang');
  return {
    get alerts() {
      return receiver.requests.map((r) => JSON.parse(r.body) as Alert);
    },
    close: () => receiver.close(),
  };
}

const FAST: Partial<AlerterTimings> = { checkMs: 100, firstRetryMs: 200, maxRetryMs: 400 };

/** The sidecar reading `logDir`, alerting json://127.0.0.1:port with a hold of 300 ms. */
async function start(logDir: string, port: number, timings: Partial<AlerterTimings> = {}): Promise<Sidecar> {
  const channels = notifyChannels({ NOTIFY_URLS: `json://127.0.0.1:${port}/hook` });
  sidecar = await startSidecar(
    {
      ...sidecarConfig(join(dir, 'sidecar'), 0, { kind: 'file', dir: logDir }),
      notify: { channels, nodeName: 'node-1', holdMs: 300, cooldownMs: 0 },
    },
    { alerter: { ...FAST, ...timings } },
  );
  return sidecar;
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${sidecar!.url}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}
const alerts = () => get<AlertsResponse>('/api/alerts');
const notifications = async () =>
  (await get<{ notifications: NotificationsStatus }>('/api/status')).notifications;

/** Waits this long to see that nothing more comes (not a measure of speed). */
const settle = (ms = 1500) => new Promise((resolve) => setTimeout(resolve, ms));

const line = (ms: number, message: string) =>
  `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} info: @truebit/worker-runner-node:2.0.0 ${message}\n`;

describe('alerts from the sidecar', () => {
  it('the node goes down: one alert with its reasons; it recovers: one "recovered"', async () => {
    const port = await freePort();
    receiver = await listen(port);
    const logDir = join(dir, 'logs');
    await start(logDir, port);

    await poll(
      'the down alert',
      async () => receiver!.alerts.length,
      (n) => n >= 1,
      30_000,
    );
    await settle();
    expect(receiver.alerts).toEqual([
      expect.objectContaining({
        node: 'node-1',
        verdict: 'down',
        previous: 'healthy',
        title: 'node-1 is down',
        reasons: [expect.objectContaining({ code: 'source', text: expect.stringContaining(logDir) })],
      }),
    ]);

    mkdirSync(logDir);
    const now = Date.now();
    writeFileSync(
      join(logDir, 'runner.log'),
      line(now, 'Using slot 1/4') + line(now, 'Message received from task_created: {}'),
    );
    await poll(
      'the recovery',
      async () => receiver!.alerts.length,
      (n) => n >= 2,
      30_000,
    );
    await settle();
    expect(receiver.alerts.map((a) => [a.previous, a.verdict, a.title])).toEqual([
      ['healthy', 'down', 'node-1 is down'],
      ['down', 'healthy', 'node-1 recovered'],
    ]);
    const history = await alerts();
    expect(history.alerts.map((r) => [r.alert.verdict, r.deliveries])).toEqual([
      [
        'healthy',
        [expect.objectContaining({ channel: `json://127.0.0.1:${port}`, state: 'sent', attempts: 1 })],
      ],
      ['down', [expect.objectContaining({ state: 'sent', attempts: 1 })]],
    ]);
    expect(await notifications()).toEqual({
      channels: [
        {
          kind: 'json',
          label: `json://127.0.0.1:${port}`,
          state: 'ok',
          lastSentAt: expect.any(String),
          pending: 0,
        },
      ],
      suppressed: 0,
    });
    const metrics = await (
      await fetch(`${sidecar!.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).text();
    expect(metrics).toContain('truwatch_alerts_total{verdict="down"} 1');
    expect(metrics).toContain('truwatch_alert_deliveries_total{channel="json",outcome="sent"} 2');
  });

  it('a receiver down at first gets the alert when it comes up (retried with backoff)', async () => {
    const port = await freePort();
    await start(join(dir, 'missing'), port);
    const failing = await poll(
      'a failed attempt',
      notifications,
      (n) => n.channels[0]!.state === 'failing',
      30_000,
    );
    expect(failing.channels[0]).toMatchObject({
      lastError: expect.stringContaining('ECONNREFUSED'),
      pending: 1,
    });

    receiver = await listen(port);
    await poll(
      'the delivery',
      async () => receiver!.alerts.length,
      (n) => n >= 1,
      30_000,
    );
    await settle();
    expect(receiver.alerts.map((a) => a.verdict)).toEqual(['down']);
    const [record] = (await alerts()).alerts;
    expect(record!.deliveries[0]!.state).toBe('sent');
    expect(record!.deliveries[0]!.attempts).toBeGreaterThan(1);
    expect((await notifications()).channels[0]).toMatchObject({ state: 'ok', pending: 0 });
  });

  it('a receiver that never answers: timed out and retried, the channel failing, the API and the stream answering meanwhile', async () => {
    const port = await freePort();
    receiver = await listen(port, true);
    await start(join(dir, 'missing'), port, { sendTimeoutMs: 300 });
    const status = await poll(
      'the channel failing after a timeout',
      notifications,
      (n) => n.channels[0]!.state === 'failing',
      30_000,
    );
    expect(status.channels[0]).toMatchObject({ lastError: 'no answer in 0.3 s', pending: 1 });
    await poll('a retry', alerts, (a) => a.alerts[0]!.deliveries[0]!.attempts >= 2, 30_000);

    const stop = new AbortController();
    const events = await openEvents(sidecar!.url, API_KEY, { signal: stop.signal });
    const first = await events.next();
    expect(first.done).toBe(false);
    stop.abort();
    expect((await get<{ health: { verdict: string } }>('/api/status')).health.verdict).toBe('down');
  });

  it('a delivery pending at a restart is delivered once after it, with the same alert', async () => {
    const port = await freePort();
    const logDir = join(dir, 'missing');
    await start(logDir, port, { firstRetryMs: 600_000 });
    const before = await poll(
      'a failed attempt',
      alerts,
      (a) => a.alerts[0]?.deliveries[0]?.attempts === 1,
      30_000,
    );
    expect(before.alerts[0]!.deliveries[0]!.state).toBe('pending');
    await sidecar!.close();
    sidecar = undefined;

    receiver = await listen(port);
    await start(logDir, port);
    await poll(
      'the delivery after the restart',
      async () => receiver!.alerts.length,
      (n) => n >= 1,
      30_000,
    );
    await settle();
    expect(receiver.alerts.map((a) => a.id)).toEqual([before.alerts[0]!.alert.id]);
    const after = await alerts();
    expect(after.alerts).toHaveLength(1);
    expect(after.alerts[0]!.deliveries[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('a restart after the delivery sends nothing again (the same verdict is not alerted twice)', async () => {
    const port = await freePort();
    receiver = await listen(port);
    const logDir = join(dir, 'missing');
    await start(logDir, port);
    // Delivered: the receiver has it and the sidecar knows (a close before that leaves it pending, to send again).
    await poll('the alert delivered', alerts, (a) => a.alerts[0]?.deliveries[0]?.state === 'sent', 30_000);
    expect(receiver.alerts).toHaveLength(1);
    await sidecar!.close();
    sidecar = undefined;

    await start(logDir, port);
    await poll(
      'the verdict after the restart',
      () => get<{ health: { verdict: string } }>('/api/status'),
      (s) => s.health.verdict === 'down',
      30_000,
    );
    await settle();
    expect(receiver.alerts).toHaveLength(1);
    expect((await alerts()).alerts).toHaveLength(1);
  });

  it('POST /api/alerts/test sends a test notification to every channel (once a minute at most)', async () => {
    const port = await freePort();
    receiver = await listen(port);
    const logDir = join(dir, 'logs');
    mkdirSync(logDir);
    writeFileSync(join(logDir, 'runner.log'), line(Date.now(), 'Using slot 1/4'));
    await start(logDir, port);
    const post = () =>
      fetch(`${sidecar!.url}/api/alerts/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}` },
      });
    expect((await post()).status).toBe(202);
    expect((await post()).status).toBe(429);
    await poll(
      'the test notification',
      async () => receiver!.alerts.length,
      (n) => n >= 1,
      30_000,
    );
    expect(receiver.alerts[0]).toMatchObject({ title: 'node-1: test notification', reasons: [] });
  });
});

describe('with no channel configured', () => {
  it('/api/alerts is empty, /api/status has no notifications, and POST /api/alerts/test says why', async () => {
    sidecar = await startSidecar(
      sidecarConfig(join(dir, 'sidecar'), 0, { kind: 'file', dir: join(dir, 'none') }),
    );
    expect(await alerts()).toEqual({ channels: [], alerts: [] });
    expect(await notifications()).toBeUndefined();
    const res = await fetch(`${sidecar.url}/api/alerts/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.status).toBe(409);
    expect(sidecar.alerter).toBeUndefined();
  });
});
