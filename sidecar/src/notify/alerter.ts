// The sidecar's alerts: watches the health verdict and tells the operator's channels when it changes, with no tab
// open. The policy (docs/API.md, "Alerts"):
// - a verdict that differs from the last one alerted becomes an alert once it has held for the hold time (a blip
//   is no alert); back to healthy is an alert too (recovered);
// - after an alert, changes within the cool-down are not alerted one by one (each counts as `suppressed`): at its
//   end one alert goes out if the verdict then differs from the last alerted one;
// - only the verdict counts: degraded → down is a change, a new reason at the same verdict is not;
// - every alert goes to every channel; each channel delivers on its own (one at a time, oldest first), retried
//   with exponential backoff and jitter, each send cut off after a timeout, given up after a day or at once when
//   the channel says retrying cannot help.
// Nothing here is awaited by the log pipeline: it reads the verdict on the monitor's status changes and on a timer.
import { randomUUID } from 'node:crypto';
import type {
  AlertRecord,
  AlertsResponse,
  ChannelStatus,
  Delivery,
  NotificationsStatus,
} from '../../../protocol/alerts.ts';
import type { HealthVerdict, NodeHealth } from '../../../protocol/node-health.ts';
import type { AlertStore } from './alert-store.ts';
import { DeliveryError, type Alert, type Channel } from './channel.ts';

export interface AlerterTimings {
  /** A new verdict must hold this long before it is alerted (NOTIFY_HOLD_SECONDS). */
  holdMs: number;
  /** After an alert, changes are coalesced for this long. */
  cooldownMs: number;
  /** The verdict is read this often besides on every status change (time-based reasons change with no event). */
  checkMs: number;
  /** One send is given up (and retried) after this long. */
  sendTimeoutMs: number;
  /** The first retry's delay, doubled at each retry up to maxRetryMs (±20 % jitter). */
  firstRetryMs: number;
  maxRetryMs: number;
  /** A delivery not done this long after its alert is given up. */
  giveUpMs: number;
  /** Test alerts (POST /api/alerts/test) at most once in this long. */
  testIntervalMs: number;
}

export const DEFAULT_TIMINGS: AlerterTimings = {
  holdMs: 60_000,
  cooldownMs: 10 * 60_000,
  checkMs: 15_000,
  sendTimeoutMs: 10_000,
  firstRetryMs: 5_000,
  maxRetryMs: 10 * 60_000,
  giveUpMs: 24 * 3600_000,
  testIntervalMs: 60_000,
};

export interface AlerterOptions {
  channels: readonly Channel[];
  nodeName: string;
  store: AlertStore;
  /**
   * The verdict now (the monitor's); undefined while it is not judged yet (the log's history being read, when
   * silence and idleness are not judged): a long backfill after a restart is no recovery.
   */
  health: () => NodeHealth | undefined;
  /** Calls its argument whenever the verdict may have changed (the monitor's status changes). */
  onChange?: (listener: () => void) => void;
  timings?: Partial<AlerterTimings>;
  random?: () => number;
  log?: (line: string) => void;
}

type Outcome = 'sent' | 'retry' | 'failed';

interface Worker {
  /** The channel's label, made unique among the configured channels: its deliveries name it. */
  readonly name: string;
  readonly channel: Channel;
  status: Omit<ChannelStatus, 'kind' | 'label' | 'pending'>;
  busy: boolean;
  timer?: NodeJS.Timeout;
}

export class Alerter {
  private readonly timings: AlerterTimings;
  private readonly workers: Worker[];
  private readonly store: AlertStore;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  /** The verdict read last, and since when (this clock) it is read. */
  private current: { verdict: HealthVerdict; sinceMs: number } | undefined;
  private cooldownUntilMs = -Infinity;
  private lastTestMs = -Infinity;
  private checkTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private checkSoon: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  /** For /metrics: alerts by verdict (or "test"), and delivery attempts by channel kind and outcome (bounded). */
  readonly alertCounts = new Map<string, number>();
  readonly deliveryCounts = new Map<string, { kind: string; outcome: Outcome; count: number }>();

  constructor(private readonly options: AlerterOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.store = options.store;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? console.error;
    const seen = new Map<string, number>();
    this.workers = options.channels.map((channel) => {
      const n = (seen.get(channel.label) ?? 0) + 1;
      seen.set(channel.label, n);
      const name = n === 1 ? channel.label : `${channel.label} #${n}`;
      return { name, channel, status: { state: 'ok' }, busy: false };
    });
  }

  start(): void {
    // A restart does not cut the last alert's cool-down short (nor makes it longer: a clock set back since).
    const lastAt = this.store.state.lastAlertedAt;
    if (lastAt !== undefined)
      this.cooldownUntilMs = Math.min(Date.parse(lastAt), Date.now()) + this.timings.cooldownMs;
    const names = new Set(this.workers.map((w) => w.name));
    for (const record of this.store.state.history)
      for (const delivery of record.deliveries) {
        if (delivery.state !== 'pending') continue;
        if (names.has(delivery.channel)) {
          // A restart is a good moment to try again (the receiver or the configuration may have been fixed).
          delete delivery.nextAttemptAt;
        } else {
          delivery.state = 'failed';
          delete delivery.nextAttemptAt;
          delivery.error = 'the channel is not configured any more';
        }
      }
    // Called from within the pipeline's loop: the check runs after it, never in it.
    this.options.onChange?.(() => {
      if (this.checkSoon) return;
      this.checkSoon = setImmediate(() => {
        this.checkSoon = undefined;
        this.check();
      });
    });
    this.checkTimer = setInterval(() => this.check(), this.timings.checkMs);
    this.checkTimer.unref?.();
    this.check();
    for (const worker of this.workers) this.pump(worker);
  }

  /** Stops reading and sending; a send under way is cut off and stays pending (for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.dueTimer);
    clearImmediate(this.checkSoon);
    for (const worker of this.workers) clearTimeout(worker.timer);
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
    this.store.save(this.log);
  }

  /** `notifications` in /api/status. */
  status(): NotificationsStatus {
    return { channels: this.channels(), suppressed: this.store.state.suppressed };
  }

  /** GET /api/alerts: the newest first. */
  response(): AlertsResponse {
    return { channels: this.channels(), alerts: this.store.state.history.toReversed() };
  }

  /** Sends a test alert to every channel; undefined when one was sent less than testIntervalMs ago. */
  test(): Alert | undefined {
    const now = Date.now();
    if (now - this.lastTestMs < this.timings.testIntervalMs) return undefined;
    this.lastTestMs = now;
    const verdict = this.options.health()?.verdict ?? this.store.lastAlerted;
    return this.raise(
      {
        id: randomUUID(),
        node: this.options.nodeName.slice(0, 200),
        verdict,
        previous: verdict,
        at: new Date(now).toISOString(),
        reasons: [],
        title: `${this.options.nodeName}: test notification`.slice(0, 300),
        text: `A test from truwatch: this channel reaches you. The node is ${verdict} now.`,
      },
      'test',
    );
  }

  /** Reads the verdict, and raises the alert that is due or waits for the moment it will be. */
  check(): void {
    if (this.stopped) return;
    const health = this.options.health();
    if (!health) return;
    const now = Date.now();
    if (this.current?.verdict !== health.verdict) {
      if (this.current && now < this.cooldownUntilMs) this.store.state.suppressed++;
      this.current = { verdict: health.verdict, sinceMs: now };
    }
    clearTimeout(this.dueTimer);
    if (health.verdict === this.store.lastAlerted) return;
    const dueMs = Math.max(this.current.sinceMs + this.timings.holdMs, this.cooldownUntilMs);
    if (now < dueMs) {
      this.dueTimer = setTimeout(() => this.check(), dueMs - now);
      this.dueTimer.unref?.();
      return;
    }
    const previous = this.store.lastAlerted;
    this.store.state.lastAlerted = health.verdict;
    this.store.state.lastAlertedAt = new Date(now).toISOString();
    this.cooldownUntilMs = now + this.timings.cooldownMs;
    this.raise(alertOf(this.options.nodeName, health, previous), health.verdict);
  }

  private raise(alert: Alert, counted: string): Alert {
    const record: AlertRecord = {
      alert,
      deliveries: this.workers.map((w) => ({ channel: w.name, state: 'pending', attempts: 0 })),
    };
    this.store.add(record);
    this.alertCounts.set(counted, (this.alertCounts.get(counted) ?? 0) + 1);
    this.store.save(this.log);
    for (const worker of this.workers) this.pump(worker);
    return alert;
  }

  private channels(): ChannelStatus[] {
    return this.workers.map((worker) => {
      let pending = 0;
      for (const record of this.store.state.history)
        for (const d of record.deliveries) if (d.channel === worker.name && d.state === 'pending') pending++;
      return { kind: worker.channel.kind, label: worker.name, ...worker.status, pending };
    });
  }

  /** Sends the worker's oldest due delivery, or waits for the next one to be due. */
  private pump(worker: Worker): void {
    if (this.stopped || worker.busy) return;
    clearTimeout(worker.timer);
    const now = Date.now();
    let due: { alert: Alert; delivery: Delivery } | undefined;
    let nextMs = Infinity;
    for (const { alert, deliveries } of this.store.state.history)
      for (const delivery of deliveries) {
        if (delivery.channel !== worker.name || delivery.state !== 'pending') continue;
        const at = delivery.nextAttemptAt === undefined ? now : Date.parse(delivery.nextAttemptAt);
        if (at <= now) due ??= { alert, delivery };
        else nextMs = Math.min(nextMs, at);
      }
    if (due) {
      worker.busy = true;
      const attempt: Promise<void> = this.attempt(worker, due.alert, due.delivery).finally(() => {
        worker.busy = false;
        this.inFlight.delete(attempt);
        this.pump(worker);
      });
      this.inFlight.add(attempt);
    } else if (nextMs < Infinity) {
      worker.timer = setTimeout(() => this.pump(worker), nextMs - now);
      worker.timer.unref?.();
    }
  }

  private async attempt(worker: Worker, alert: Alert, delivery: Delivery): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new DeliveryError(`no answer in ${this.timings.sendTimeoutMs / 1000} s`, true)),
      this.timings.sendTimeoutMs,
    );
    const onStop = () => abort.abort(new DeliveryError('the sidecar stopped', true));
    this.stopping.signal.addEventListener('abort', onStop);
    // A channel that does not heed the signal is left behind all the same: the worker never hangs on it.
    const cutOff = new Promise<never>((_, reject) =>
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error)),
    );
    try {
      await Promise.race([worker.channel.send(alert, abort.signal), cutOff]);
      if (this.stopped) return;
      const now = new Date().toISOString();
      delivery.state = 'sent';
      delivery.attempts++;
      delivery.sentAt = now;
      delete delivery.nextAttemptAt;
      delete delivery.error;
      worker.status = { state: 'ok', lastSentAt: now };
      this.count(worker, 'sent');
    } catch (error) {
      // Cut off by the stop: it stays as it was, pending, for the next start.
      if (this.stopped) return;
      this.failed(worker, alert, delivery, error);
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
    this.store.save(this.log);
  }

  private failed(worker: Worker, alert: Alert, delivery: Delivery, error: unknown): void {
    const now = Date.now();
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const retry = error instanceof DeliveryError ? error.retry : true;
    delivery.attempts++;
    delivery.error = message;
    worker.status = {
      state: 'failing',
      ...(worker.status.lastSentAt !== undefined && { lastSentAt: worker.status.lastSentAt }),
      failingSince: worker.status.failingSince ?? new Date(now).toISOString(),
      lastError: message,
    };
    // The wait the receiver asked for (429 Retry-After), when longer than our own.
    const asked = error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0;
    const delay = Math.max(this.retryDelay(delivery.attempts), asked);
    if (!retry || now + delay > Date.parse(alert.at) + this.timings.giveUpMs) {
      delivery.state = 'failed';
      delete delivery.nextAttemptAt;
      this.count(worker, 'failed');
      this.log(`truwatch: alert ${alert.id} not delivered to ${worker.name}: ${message}`);
    } else {
      delivery.nextAttemptAt = new Date(now + delay).toISOString();
      this.count(worker, 'retry');
    }
  }

  /** The wait after the `attempts`-th failed attempt. */
  retryDelay(attempts: number): number {
    const { firstRetryMs, maxRetryMs } = this.timings;
    const base = Math.min(maxRetryMs, firstRetryMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  private count(worker: Worker, outcome: Outcome): void {
    const key = `${worker.channel.kind}\0${outcome}`;
    const entry = this.deliveryCounts.get(key) ?? { kind: worker.channel.kind, outcome, count: 0 };
    entry.count++;
    this.deliveryCounts.set(key, entry);
  }
}

/** The alert for a verdict change, in words for people. */
export function alertOf(node: string, health: NodeHealth, previous: HealthVerdict): Alert {
  const title = health.verdict === 'healthy' ? `${node} recovered` : `${node} is ${health.verdict}`;
  const text =
    health.verdict === 'healthy'
      ? `Healthy again (it was ${previous}).`
      : health.reasons.map((r) => r.text).join('\n');
  return {
    id: randomUUID(),
    node: node.slice(0, 200),
    verdict: health.verdict,
    previous,
    at: health.since,
    reasons: health.reasons,
    title: title.slice(0, 300),
    text: text.slice(0, 4000),
  };
}
