// Federation in the leading tab: the settings in force, the identity, the outbox scan (when the monitor
// announces a write: scan-schedule.ts), the connection, and what runs while connected (the outbox published in
// paced batches, heartbeats, receiving). Every change of state goes to `onStatus`.
import type { NatsConnection } from '@nats-io/nats-core';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import type { FederationState } from '../../../../../protocol/federation-status.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import { nodeActivity } from '../../db/node-activity.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { heartbeatMessage } from './anonymize.ts';
import { Connection, type ConnectionOptionsIn } from './connection.ts';
import { classify } from './errors.ts';
import { fedError, type FedError } from '../codes.ts';
import { Identity, newSecret } from './identity.ts';
import { Outbox } from './outbox.ts';
import { updatePeriods } from './periods.ts';
import { receive } from './receive.ts';
import { ScanSchedule } from './scan-schedule.ts';
import { resolveSettings, type Consent, type FederationSettings } from '../settings.ts';
import { NO_COUNTERS, type Counters, type FederationStatus } from '../status.ts';
import type { FederationDb, Period } from './federation-db.ts';
import { Wakeable } from '../../app/wakeable.ts';

const BATCH = 50;
/** Pause between batches of a backlog: at most BATCH × 10 messages a second. */
const PACE_MS = 100;
/** The clock is read this often; a gap of SLEEP_GAP_MS between two readings means the machine slept. */
const CLOCK_MS = 2000;
const SLEEP_GAP_MS = 30_000;
/** At most one scan of the monitor's database per this, however often writes are announced. */
const SCAN_GAP_MS = 2000;
/**
 * The slow round: federation's database is pruned, and the monitor's is scanned though no write was announced.
 * Not every change comes with a write: time alone brings a task into the scan's range (a node clock more than a
 * day ahead of this one stamps tasks past the range's end until this clock catches up), and a scan that failed
 * (storage full or closing) must be tried again without waiting for the node's next write.
 */
const ROUND_MS = 60_000;

export interface ServiceOptions {
  fed: FederationDb;
  main: TruwatchDb;
  config: FederationConfig | undefined;
  onStatus(status: FederationStatus): void;
  /** SCAN_GAP_MS and ROUND_MS, shorter in tests. */
  scanGapMs?: number;
  roundMs?: number;
  backoff?: ConnectionOptionsIn['backoff'];
  now?: () => number;
}

export class FederationService {
  private settings!: FederationSettings;
  private consent: Consent = null;
  private identity: Identity | undefined;
  private nodeId: string | null = null;
  private counters: Counters = NO_COUNTERS;
  private periods: Period[] = [];
  private pending = 0;
  private connection: Connection | undefined;
  private connectionKey = '';
  private state: FederationState = 'DISABLED';
  private clock: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private lastRound = 0;
  /** The pause between rounds, which new work cuts short. */
  private readonly pause = new Wakeable();
  private readonly outbox: Outbox;
  private readonly scans: ScanSchedule;
  private readonly roundMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ServiceOptions) {
    this.outbox = new Outbox(options.fed, options.main);
    this.scans = new ScanSchedule(() => this.scan(), { gapMs: options.scanGapMs ?? SCAN_GAP_MS });
    this.roundMs = options.roundMs ?? ROUND_MS;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.outbox.load();
    this.counters = (await this.options.fed.get('counters')) ?? NO_COUNTERS;
    this.scans.start();
    await this.reload();
    this.lastTick = this.now();
    this.clock = setInterval(() => this.tick(), CLOCK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.clock);
    await this.scans.stop();
    await this.connection?.stop();
    this.connection = undefined;
  }

  /** Reads the settings again (after a change in any tab) and brings everything in line with them. */
  async reload(): Promise<void> {
    const { fed } = this.options;
    const chosen = (await fed.get('chosen')) ?? {};
    ({ settings: this.settings, consent: this.consent } = resolveSettings(chosen, this.options.config));
    this.periods = await updatePeriods(fed, this.settings.enabled && this.settings.shareTasks, this.now());
    if (this.settings.enabled) {
      try {
        let secret = await fed.get('secret');
        if (!secret) await fed.set('secret', (secret = newSecret()));
        this.identity = await Identity.from(secret);
        this.nodeId = await this.identity.nodePseudonym(this.now());
      } catch (error) {
        this.identity = undefined;
        await this.error(classify(error));
      }
    }
    const key = JSON.stringify([
      this.settings.enabled,
      this.settings.natsUrl,
      this.settings.user,
      this.settings.password,
      this.settings.creds,
      this.settings.receive,
    ]);
    if (key !== this.connectionKey || !this.settings.enabled) {
      this.connectionKey = key;
      await this.connection?.stop();
      this.connection = undefined;
      this.state = 'DISABLED';
      if (this.settings.enabled && !this.settings.natsUrl) {
        this.state = 'ERROR';
        await this.error(fedError('FED_001', 'no federation server URL is set', this.now()));
      } else if (this.settings.enabled && this.identity) this.connect();
    }
    await this.scans.now();
  }

  /** A new secret: new task keys and pseudonyms from now on; waiting tasks are anonymized again. */
  async resetIdentity(): Promise<void> {
    await this.options.fed.set('secret', newSecret());
    await this.outbox.dropPending();
    this.connectionKey = '';
    await this.reload();
  }

  reconnectNow(): void {
    this.connection?.reconnectNow();
  }

  status(leader = true): FederationStatus {
    return {
      enabled: this.settings.enabled,
      consent: this.consent,
      state: this.state,
      nodeId: this.settings.enabled ? this.nodeId : null,
      counters: this.counters,
      pending: this.pending,
      settings: this.settings,
      leader,
    };
  }

  private connect(): void {
    this.connection = new Connection({
      settings: {
        url: this.settings.natsUrl,
        user: this.settings.user,
        password: this.settings.password,
        creds: this.settings.creds,
      },
      onState: (state, error) => {
        this.state = state;
        if (error) void this.error(error);
        else this.emit();
      },
      onConnected: (nc, signal) => this.whileConnected(nc, signal),
      ...(this.options.backoff && { backoff: this.options.backoff }),
    });
    this.connection.start();
  }

  /** Reads the clock: reconnects after a sleep, and starts the slow round when it is due. */
  private tick(): void {
    const now = this.now();
    if (now - this.lastTick > SLEEP_GAP_MS) this.reconnectNow();
    this.lastTick = now;
    if (now - this.lastRound > this.roundMs) void this.scans.now();
  }

  /** Newly finished tasks into the outbox, the pending count, and on the slow round the prune. */
  private async scan(): Promise<void> {
    const now = this.now();
    try {
      if (this.identity && this.settings.enabled && this.settings.shareTasks) {
        const { queued, refused } = await this.outbox.scan(this.identity, this.periods, now);
        if (refused.length) {
          this.counters = { ...this.counters, refused: this.counters.refused + refused.length };
          await this.error(fedError('FED_003', `a task message was refused: ${refused.at(-1)!.reason}`));
        }
        if (queued) this.pause.wake();
      }
      this.pending = await this.outbox.countPending();
      if (now - this.lastRound > this.roundMs) {
        this.lastRound = now;
        await this.options.fed.prune(now, this.settings.feedRetentionDays);
        // Forget what the prune dropped and what fell out of the 7 days: the outbox's memory stays bounded.
        await this.outbox.load();
      }
    } catch (error) {
      await this.error(classify(error));
    }
    this.emit();
  }

  private async error(error: FedError): Promise<void> {
    this.counters = { ...this.counters, errors: this.counters.errors + 1, lastError: error };
    await this.options.fed.set('counters', this.counters).catch(() => undefined);
    this.emit();
  }

  private emit(): void {
    this.options.onStatus(this.status());
  }

  /** Publishes, flushes and checks the server refused none of it (a refusal arrives as an async error). */
  private async publish(
    nc: NatsConnection,
    denied: { error?: FedError },
    subject: string,
    payloads: string[],
  ) {
    for (const payload of payloads) nc.publish(subject, payload);
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (denied.error) throw Object.assign(new Error(denied.error.message), { fed: denied.error });
  }

  private async sent(n: number): Promise<void> {
    this.counters = { ...this.counters, sent: this.counters.sent + n };
    await this.options.fed.set('counters', this.counters);
    this.emit();
  }

  private async whileConnected(nc: NatsConnection, signal: AbortSignal): Promise<void> {
    const denied: { error?: FedError } = {};
    void (async () => {
      for await (const s of nc.status())
        if (s.type === 'error') {
          const error = classify(s.error);
          if (error.code === 'FED_010') denied.error = error;
          else void this.error(error);
        }
    })();
    if (this.settings.receive) receive(nc, this.options.fed, (e) => void this.error(e), this.now);
    let nextHeartbeat = this.now();
    try {
      while (!signal.aborted) {
        const rows = this.settings.shareTasks ? await this.outbox.pending(BATCH) : [];
        if (rows.length) {
          await this.publish(
            nc,
            denied,
            SUBJECTS.task,
            rows.map((r) => r.json ?? ''),
          );
          await this.outbox.markSent(rows, SUBJECTS.task, this.now());
          this.pending = Math.max(0, this.pending - rows.length);
          await this.sent(rows.length);
        }
        if (this.settings.shareHeartbeat && this.now() >= nextHeartbeat) {
          await this.heartbeat(nc, denied);
          nextHeartbeat = this.now() + this.settings.heartbeatSeconds * 1000;
        }
        const wait =
          rows.length === BATCH ? PACE_MS : Math.max(0, Math.min(nextHeartbeat - this.now(), 5000));
        await this.pause.sleep(wait, signal);
      }
    } catch (error) {
      const fed = (error as { fed?: FedError }).fed ?? classify(error);
      await this.error(fed);
      this.connection?.fail(fed);
    }
  }

  private async heartbeat(nc: NatsConnection, denied: { error?: FedError }): Promise<void> {
    if (!this.identity) return;
    const { main, fed } = this.options;
    const now = this.now();
    const region = this.settings.region ?? undefined;
    const activity = await nodeActivity(main, now);
    const result = await heartbeatMessage({ ...activity, region, nowMs: now }, this.identity);
    if (!result.ok) {
      this.counters = { ...this.counters, refused: this.counters.refused + 1 };
      return this.error(fedError('FED_003', `a heartbeat was refused: ${result.reason}`));
    }
    this.nodeId = result.message.node;
    await this.publish(nc, denied, SUBJECTS.heartbeat, [result.json]);
    await fed.db.add('sent', {
      atMs: now,
      subject: SUBJECTS.heartbeat,
      kind: 'heartbeat',
      json: result.json,
    });
    await this.sent(1);
  }
}
