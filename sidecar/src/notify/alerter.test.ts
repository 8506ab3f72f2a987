// The alert policy with a fake clock (vitest's timers) and fake channels, on a real alerts.json in a temp directory.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthReason, HealthVerdict, NodeHealth } from '../../../protocol/node-health.ts';
import { AlertStore, MAX_HISTORY } from './alert-store.ts';
import { Alerter, type AlerterTimings } from './alerter.ts';
import { DeliveryError, type Alert, type Channel } from './channel.ts';

const SECOND = 1000;
const MINUTE = 60_000;

let dir: string;
let alerters: Alerter[] = [];
let health: NodeHealth;
/** False while the fake monitor reads the log's history (no verdict judged yet). */
let judged = true;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
  dir = mkdtempSync(join(tmpdir(), 'truwatch-alerter-'));
  health = { verdict: 'healthy', since: new Date().toISOString(), reasons: [] };
  judged = true;
});
afterEach(async () => {
  for (const alerter of alerters) await alerter.stop();
  alerters = [];
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const reason = (code: HealthReason['code'], verdict: 'degraded' | 'down', text: string): HealthReason => ({
  code,
  verdict,
  text,
  since: new Date().toISOString(),
});
const STALE = reason('stale', 'degraded', 'No log entry for 45 min');
const SOURCE = reason('source', 'down', 'waiting for /logs: no such directory');

/** The verdict the fake monitor gives from now on. */
function set(verdict: HealthVerdict, reasons: HealthReason[] = []): void {
  health = { verdict, since: new Date().toISOString(), reasons };
}

interface FakeChannel extends Channel {
  sent: Alert[];
  tries: number;
}

/** A channel that answers as `behave` says at each try (default: delivered). */
function channel(label: string, behave: (tries: number) => Promise<void> = async () => {}): FakeChannel {
  const c: FakeChannel = {
    kind: 'fake',
    label,
    sent: [],
    tries: 0,
    async send(alert) {
      c.tries++;
      await behave(c.tries);
      c.sent.push(alert);
    },
  };
  return c;
}

function start(channels: Channel[], timings: Partial<AlerterTimings> = {}): Alerter {
  const alerter = new Alerter({
    channels,
    nodeName: 'node-1',
    store: AlertStore.open(join(dir, 'alerts.json'), () => {}),
    health: () => (judged ? health : undefined),
    timings: { holdMs: 60 * SECOND, cooldownMs: 10 * MINUTE, checkMs: SECOND, ...timings },
    random: () => 0.5,
    log: () => {},
  });
  alerters.push(alerter);
  alerter.start();
  return alerter;
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('when a verdict becomes an alert', () => {
  it('a change that holds for the hold time is one alert, with its reasons; a blip is none', async () => {
    const c = channel('fake://a');
    const alerter = start([c]);
    set('degraded', [STALE]);
    await advance(30 * SECOND);
    set('healthy');
    await advance(5 * MINUTE);
    expect(c.sent).toEqual([]);

    set('down', [SOURCE]);
    await advance(59 * SECOND);
    expect(c.sent).toEqual([]);
    await advance(20 * SECOND);
    expect(c.sent).toHaveLength(1);
    expect(c.sent[0]).toMatchObject({
      node: 'node-1',
      verdict: 'down',
      previous: 'healthy',
      title: 'node-1 is down',
      text: SOURCE.text,
      reasons: [SOURCE],
    });
    await advance(30 * MINUTE);
    expect(c.sent).toHaveLength(1);
    expect(alerter.response().alerts[0]!.deliveries).toEqual([
      expect.objectContaining({ channel: 'fake://a', state: 'sent', attempts: 1 }),
    ]);
  });

  it('recovery is an alert too', async () => {
    const c = channel('fake://a');
    start([c], { cooldownMs: 0 });
    set('down', [SOURCE]);
    await advance(2 * MINUTE);
    set('healthy');
    await advance(2 * MINUTE);
    expect(c.sent.map((a) => [a.previous, a.verdict, a.title])).toEqual([
      ['healthy', 'down', 'node-1 is down'],
      ['down', 'healthy', 'node-1 recovered'],
    ]);
  });

  it('only the verdict counts: a new reason at the same verdict is none, degraded → down is one', async () => {
    const c = channel('fake://a');
    start([c], { cooldownMs: 0 });
    set('degraded', [STALE]);
    await advance(2 * MINUTE);
    set('degraded', [STALE, reason('idle', 'degraded', 'No task received for 3 h')]);
    await advance(10 * MINUTE);
    expect(c.sent).toHaveLength(1);
    set('down', [SOURCE, STALE]);
    await advance(2 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['degraded', 'down']);
    expect(c.sent[1]!.text).toBe(`${SOURCE.text}\n${STALE.text}`);
  });

  it('a flapping node is no storm: changes in the cool-down are counted and coalesced into one alert at its end', async () => {
    const c = channel('fake://a');
    const alerter = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(2 * SECOND);
    expect(c.sent).toHaveLength(1);
    // Flaps every 10 s for 5 min, and ends degraded.
    for (let i = 0; i < 30; i++) {
      set(i % 2 ? 'down' : 'healthy', i % 2 ? [SOURCE] : []);
      await advance(10 * SECOND);
    }
    set('degraded', [STALE]);
    await advance(2 * SECOND);
    expect(c.sent).toHaveLength(1);
    expect(alerter.status().suppressed).toBe(31);
    await advance(6 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down', 'degraded']);
  });

  it('no alert at the end of a cool-down when the verdict is back to the one alerted', async () => {
    const c = channel('fake://a');
    const alerter = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(2 * SECOND);
    set('healthy');
    await advance(20 * SECOND);
    set('down', [SOURCE]);
    await advance(30 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down']);
    expect(alerter.status().suppressed).toBe(2);
  });

  it('the first verdict after a start is alerted when it differs from the last one alerted before', async () => {
    const c = channel('fake://a');
    set('down', [SOURCE]);
    // First ever start: healthy counts as the last alerted.
    const first = start([c]);
    await advance(2 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down']);
    await first.stop();
    // Still down after a restart: not again.
    const second = start([c]);
    await advance(30 * MINUTE);
    expect(c.sent).toHaveLength(1);
    await second.stop();
    set('degraded', [STALE]);
    start([c]);
    await advance(2 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down', 'degraded']);
  });
});

describe('across restarts', () => {
  it('a restart does not cut the cool-down short: a change after it waits for its end', async () => {
    const c = channel('fake://a');
    const first = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(2 * SECOND);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down']);
    await first.stop();
    await advance(MINUTE);
    start([c], { holdMs: 0 });
    set('healthy');
    await advance(5 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down']);
    // The cool-down began at the first alert, 10 minutes before its end.
    await advance(4 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down', 'healthy']);
  });

  it('a last alert stamped in the future (a clock set back since) holds no change back longer than the cool-down', async () => {
    const c = channel('fake://a');
    const first = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(2 * SECOND);
    await first.stop();
    const file = join(dir, 'alerts.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { lastAlertedAt: string };
    stored.lastAlertedAt = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    writeFileSync(file, JSON.stringify(stored));
    start([c], { holdMs: 0 });
    set('healthy');
    await advance(11 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down', 'healthy']);
  });
});

describe('while the log is read', () => {
  it('takes no verdict while the history is read: a long backfill after a restart is no recovery', async () => {
    const c = channel('fake://a');
    set('degraded', [STALE]);
    const first = start([c]);
    await advance(2 * MINUTE);
    await first.stop();
    // The restart reads the history for 5 minutes; silence is not judged meanwhile, so the verdict says healthy.
    judged = false;
    set('healthy');
    start([c]);
    await advance(5 * MINUTE);
    judged = true;
    set('degraded', [STALE]);
    await advance(15 * MINUTE);
    expect(c.sent.map((a) => a.verdict)).toEqual(['degraded']);
  });
});

describe('delivering an alert', () => {
  it('retries with exponential backoff (5 s doubling, at most 10 min) until delivered', async () => {
    const times: number[] = [];
    const c = channel('fake://a', async (tries) => {
      times.push(Date.now());
      if (tries < 10) throw new DeliveryError('503', true);
    });
    const alerter = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(SECOND);
    await advance(60 * MINUTE);
    const gaps = times.slice(1).map((t, i) => Math.round((t - times[i]!) / SECOND));
    expect(gaps).toEqual([5, 10, 20, 40, 80, 160, 320, 600, 600]);
    expect(c.sent).toHaveLength(1);
    expect(alerter.response().alerts[0]!.deliveries[0]).toMatchObject({ state: 'sent', attempts: 10 });
    expect(alerter.status().channels[0]).toMatchObject({ state: 'ok', pending: 0 });
  });

  it('waits as long as the receiver asks (429 Retry-After) when that is longer than its own backoff', async () => {
    const times: number[] = [];
    const c = channel('fake://a', async (tries) => {
      times.push(Date.now());
      if (tries === 1) throw new DeliveryError('429: slow down', true, 90 * SECOND);
      if (tries === 2) throw new DeliveryError('429: slow down', true, SECOND);
    });
    start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(SECOND);
    await advance(10 * MINUTE);
    expect(times.slice(1).map((t, i) => Math.round((t - times[i]!) / SECOND))).toEqual([90, 10]);
    expect(c.sent).toHaveLength(1);
  });

  it('jitters the delay by up to a fifth either way', () => {
    const make = (r: number) =>
      new Alerter({
        channels: [],
        nodeName: 'n',
        store: AlertStore.open(join(dir, 'alerts.json')),
        health: () => health,
        random: () => r,
      });
    expect([make(0).retryDelay(1), make(0.999999).retryDelay(1), make(0.5).retryDelay(20)]).toEqual([
      4000, 6000, 600_000,
    ]);
  });

  it('gives up after giveUpMs, and shows the channel failing with its error', async () => {
    const c = channel('fake://a', async () => {
      throw new DeliveryError('receiver.lan answered 503: busy', true);
    });
    const alerter = start([c], { holdMs: 0, giveUpMs: 30 * MINUTE });
    set('down', [SOURCE]);
    await advance(2 * 3600 * SECOND);
    const delivery = alerter.response().alerts[0]!.deliveries[0]!;
    expect(delivery).toMatchObject({ state: 'failed', error: 'receiver.lan answered 503: busy' });
    expect(delivery.nextAttemptAt).toBeUndefined();
    // 0, 5, 15, 35, 75, 155, 315, 635, 1235 s; the next one (1835 s) is past 30 min.
    expect(c.tries).toBe(9);
    expect(alerter.status().channels[0]).toMatchObject({
      state: 'failing',
      lastError: 'receiver.lan answered 503: busy',
      pending: 0,
      failingSince: expect.any(String),
    });
  });

  it('fails at once when the channel says retrying cannot help', async () => {
    const c = channel('fake://a', async () => {
      throw new DeliveryError('receiver.lan answered 401: bad token', false);
    });
    const alerter = start([c], { holdMs: 0 });
    set('down', [SOURCE]);
    await advance(60 * MINUTE);
    expect(c.tries).toBe(1);
    expect(alerter.response().alerts[0]!.deliveries[0]).toMatchObject({ state: 'failed', attempts: 1 });
  });

  it('a receiver that never answers is cut off at the send timeout and retried; the other channel is not held up', async () => {
    // Heeds no signal at all: never settles.
    const silent = channel('fake://silent', () => new Promise<void>(() => {}));
    const fine = channel('fake://fine');
    const alerter = start([silent, fine], { holdMs: 0, sendTimeoutMs: 10 * SECOND });
    set('down', [SOURCE]);
    await advance(SECOND);
    expect(fine.sent).toHaveLength(1);
    expect(silent.tries).toBe(1);
    await advance(10 * SECOND);
    expect(alerter.response().alerts[0]!.deliveries[0]).toMatchObject({
      channel: 'fake://silent',
      state: 'pending',
      attempts: 1,
      error: 'no answer in 10 s',
    });
    await advance(5 * SECOND);
    expect(silent.tries).toBe(2);
  });

  it('keeps the newest alerts only, and the pending deliveries with them', async () => {
    const c = channel('fake://down', async () => {
      throw new DeliveryError('down', true);
    });
    const alerter = start([c], { holdMs: 0, cooldownMs: 0, firstRetryMs: 3600_000 });
    for (let i = 0; i < MAX_HISTORY + 50; i++) {
      set(i % 2 ? 'healthy' : 'down', i % 2 ? [] : [SOURCE]);
      await advance(2 * SECOND);
    }
    const { alerts, channels } = alerter.response();
    expect(alerts).toHaveLength(MAX_HISTORY);
    expect(channels[0]!.pending).toBe(MAX_HISTORY);
    const stored = JSON.parse(readFileSync(join(dir, 'alerts.json'), 'utf8')) as { history: unknown[] };
    expect(stored.history).toHaveLength(MAX_HISTORY);
  });
});

describe('alerts.json', () => {
  it('is 0600 and carries a pending delivery over a restart: sent once after it, never again', async () => {
    let up = false;
    const c = channel('fake://a', async () => {
      if (!up) throw new DeliveryError('connection refused', true);
    });
    const first = start([c], { holdMs: 0, firstRetryMs: 3600_000 });
    set('down', [SOURCE]);
    await advance(SECOND);
    await first.stop();
    expect(statSync(join(dir, 'alerts.json')).mode & 0o777).toBe(0o600);
    expect(c.sent).toEqual([]);

    up = true;
    const second = start([c], { holdMs: 0, firstRetryMs: 3600_000 });
    await advance(SECOND);
    expect(c.sent.map((a) => a.verdict)).toEqual(['down']);
    expect(second.response().alerts[0]!.deliveries[0]).toMatchObject({ state: 'sent', attempts: 2 });
    await second.stop();

    start([c], { holdMs: 0 });
    await advance(30 * MINUTE);
    expect(c.sent).toHaveLength(1);
  });

  it('a pending delivery for a channel no longer configured fails, and says why', async () => {
    const gone = channel('fake://gone', async () => {
      throw new DeliveryError('down', true);
    });
    const first = start([gone], { holdMs: 0, firstRetryMs: 3600_000 });
    set('down', [SOURCE]);
    await advance(SECOND);
    await first.stop();
    const second = start([channel('fake://new')], { holdMs: 0 });
    expect(second.response().alerts[0]!.deliveries[0]).toMatchObject({
      channel: 'fake://gone',
      state: 'failed',
      error: 'the channel is not configured any more',
    });
  });

  it('a corrupt file is set aside with a log line, and the start goes on with no history', () => {
    const path = join(dir, 'alerts.json');
    writeFileSync(path, '{"lastAlerted": "down", "history": [');
    const lines: string[] = [];
    const store = AlertStore.open(path, (line) => lines.push(line));
    expect(store.state).toEqual({ lastAlerted: 'healthy', suppressed: 0, history: [] });
    expect(lines).toEqual([
      expect.stringMatching(/alerts\.json is not an alert history \(not JSON\): set aside as .*corrupt/),
    ]);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toHaveLength(1);

    writeFileSync(path, JSON.stringify({ lastAlerted: 'sideways', suppressed: 0, history: [] }));
    AlertStore.open(path, (line) => lines.push(line));
    expect(lines[1]).toMatch(/lastAlerted: Invalid type/);
  });
});
