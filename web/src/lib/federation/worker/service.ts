// Federation in the leading tab: the settings in force, the identity (paired, the node's secret from the
// sidecar: secret-keeper.ts), the outbox scan (when the monitor announces a write: scan-schedule.ts), the
// connection, and what runs while connected (due tasks published in shuffled, paced batches at random moments,
// heartbeats, receiving, a new connection each UTC day: timing.ts), and, with an issuer set, the anonymous
// tokens every message that counts carries (fetched at random rounds: token-schedule.ts; kept: tokens.ts).
// Every change of state goes to `onStatus`.
import { PermissionViolationError, type NatsConnection } from '@nats-io/nats-core';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import type { FederationState } from '../../../../../protocol/federation-status.ts';
import { ActivityMessageSchema, HeartbeatMessageSchema } from '../../../../../protocol/federation.ts';
import { keyWeekStart, type TokenKind } from '../../../../../protocol/private-token.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import { nodeActivity } from '../../db/node-activity.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { pendingActivity, recordActivity, type ActivityReport } from './activity.ts';
import { heartbeatMessage } from './anonymize.ts';
import { Connection, flushed, type ConnectionOptionsIn } from './connection.ts';
import { withToken } from './guard.ts';
import { classify } from './errors.ts';
import { ENDED_BY, fedError, type FedError, type Recovery } from '../codes.ts';
import { Identity } from './identity.ts';
import { Outbox } from './outbox.ts';
import { updatePeriods } from './periods.ts';
import { receive } from './receive.ts';
import { ScanSchedule } from './scan-schedule.ts';
import { SecretKeeper } from './secret-keeper.ts';
import type { SidecarIdentity, SidecarSecret } from './sidecar-identity.ts';
import { issuerNameOf, resolveSettings, type Consent, type FederationSettings } from '../settings.ts';
import {
  NO_COUNTERS,
  type Counters,
  type CurrentError,
  type FederationStatus,
  type TokenStatus,
} from '../status.ts';
import { type FederationDb, type OutboxRecord, type Period, type TokenFetchState } from './federation-db.ts';
import {
  PRESENCE_BATCH,
  RETRY_MS,
  TASK_BATCH,
  firstRound,
  nextRound,
  presenceWanted,
  putOff,
  quarantineMs,
  taskBatches,
  tasksWanted,
} from './token-schedule.ts';
import { TokenStock } from './tokens.ts';
import { Wakeable } from '../../app/wakeable.ts';
import {
  IDLE_MS,
  PACE_MS,
  RENEW_MS,
  START_MS,
  cryptoRandom,
  heartbeatDelay,
  nextMidnight,
  releaseMs,
  shuffle,
  uniform,
  utcDay,
  type Random,
} from './timing.ts';

/** Tasks per publication; a backlog drains at about BATCH × 10 a second (PACE_MS). */
const BATCH = 50;
/** The clock is read this often; a gap of SLEEP_GAP_MS between two readings means the machine slept. */
const CLOCK_MS = 2000;
const SLEEP_GAP_MS = 30_000;
/** At most one scan of the monitor's database per this, however often writes are announced. */
const SCAN_GAP_MS = 2000;
/**
 * The slow round (config.json's `roundSeconds` in tests): the paired sidecar is asked for the node's secret
 * (another browser may have reset it), config.json is read again (the deployment's settings may have changed
 * through the sidecar's API), federation's database is pruned, and the monitor's is scanned though no write was
 * announced.
 * Not every change comes with a write: time alone brings a task into the scan's range (a node clock more than a
 * day ahead of this one stamps tasks past the range's end until this clock catches up), and a scan that failed
 * (storage full or closing) must be tried again without waiting for the node's next write.
 */
const ROUND_MS = 60_000;

export interface ServiceOptions {
  fed: FederationDb;
  main: TruwatchDb;
  config: FederationConfig | undefined;
  /** config.json's federation part read again on the slow round; undefined when it could not be read. */
  readConfig?: () => Promise<{ federation?: FederationConfig } | undefined>;
  onStatus(status: FederationStatus): void;
  /** The paired sidecar, which keeps the node's secret; without one the browser keeps its own. */
  sidecar?: SidecarIdentity;
  /** SCAN_GAP_MS and ROUND_MS, shorter in tests. */
  scanGapMs?: number;
  roundMs?: number;
  backoff?: ConnectionOptionsIn['backoff'];
  now?: () => number;
  /** Uniform in [0, 1): cryptoRandom unless a test gives a seeded one. */
  random?: Random;
}

/** Why a token round was stopped: federation stopped or turned off (what it fetched is kept), or another issuer. */
const STOPPED = 'stopped';
const ANOTHER_ISSUER = 'another issuer';

/** A publication the server refused (a permission error): the connection ends with it. */
class Refused extends Error {
  constructor(readonly fed: FedError) {
    super(fed.message);
  }
}

export class FederationService {
  private settings!: FederationSettings;
  private consent: Consent = null;
  private identity: Identity | undefined;
  private nodeId: string | null = null;
  private counters: Counters = NO_COUNTERS;
  private periods: Period[] = [];
  /** When the node's presence (heartbeats, activity reports) is shared. */
  private presencePeriods: Period[] = [];
  private pending = 0;
  private connection: Connection | undefined;
  private connectionKey = '';
  private state: FederationState = 'DISABLED';
  private retryAtMs: number | null = null;
  private clock: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private lastRound = 0;
  private lastFollow = 0;
  private lastConfigRead = 0;
  private config: FederationConfig | undefined;
  /** The reload, reset or follow under way: they run one at a time. */
  private queue: Promise<void> = Promise.resolve();
  /** The pause between two looks while connected; the connection's end cuts it short. */
  private readonly pause = new Wakeable();
  private readonly outbox: Outbox;
  private readonly stock: TokenStock;
  /** The token fetches' schedule, while an issuer is set; the round under way can be aborted. */
  private tokenFetch: TokenFetchState | undefined;
  private fetching: AbortController | undefined;
  private tokenCounts: Record<TokenKind, number> = { presence: 0, task: 0 };
  /** The invite the paired sidecar keeps for the node, with its issuer (the operator's own in the settings wins). */
  private sidecarInvite: { issuerUrl: string; code: string } | undefined;
  private readonly scans: ScanSchedule;
  private readonly secrets: SecretKeeper;
  private readonly roundMs: number;
  private readonly now: () => number;
  private readonly random: Random;

  constructor(private readonly options: ServiceOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? cryptoRandom;
    this.config = options.config;
    const holdSeconds = options.config?.taskHoldSeconds;
    const holdMs = holdSeconds === undefined ? undefined : holdSeconds * 1000;
    this.outbox = new Outbox(options.fed, options.main, (finishedMs) =>
      releaseMs(finishedMs, holdMs, this.random),
    );
    this.stock = new TokenStock(options.fed);
    this.scans = new ScanSchedule(() => this.scan(), { gapMs: options.scanGapMs ?? SCAN_GAP_MS });
    this.secrets = new SecretKeeper(options.fed, this.outbox, options.sidecar);
    const roundSeconds = options.config?.roundSeconds;
    this.roundMs = options.roundMs ?? (roundSeconds !== undefined ? roundSeconds * 1000 : ROUND_MS);
  }

  async start(): Promise<void> {
    await this.outbox.load();
    const stored = (await this.options.fed.get('counters')) ?? NO_COUNTERS;
    // Kept before errors had a count: each is one occurrence.
    const last = stored.lastError as (FedError & Partial<CurrentError>) | null;
    this.counters = {
      ...stored,
      lastError: last && { ...last, count: last.count ?? 1, sinceMs: last.sinceMs ?? last.atMs },
    };
    this.scans.start();
    await this.reload();
    this.lastTick = this.now();
    this.clock = setInterval(() => this.tick(), CLOCK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.clock);
    this.fetching?.abort(STOPPED);
    // A follow the clock started may be about to connect.
    await this.queue;
    await this.scans.stop();
    await this.connection?.stop();
    this.connection = undefined;
  }

  /**
   * Reads the settings again (after a change in any tab) and the node's secret, and brings everything in line
   * with them.
   */
  reload(): Promise<void> {
    return this.serially(() => this.apply());
  }

  /**
   * A new secret (paired: the sidecar's, which the other browsers adopt when they next ask): new task keys and
   * pseudonyms from now on; waiting tasks are anonymized again. Throws when the sidecar could not make one.
   */
  resetIdentity(): Promise<void> {
    return this.serially(async () => {
      const error = await this.secrets.reset();
      if (error) {
        await this.error(error);
        throw new Error(`${error.code}: ${error.message}`);
      }
      this.connectionKey = '';
      await this.apply();
    });
  }

  private serially(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** `answer`: the sidecar's, when the caller asked it already. */
  private async apply(answer?: SidecarSecret): Promise<void> {
    const { fed } = this.options;
    const chosen = (await fed.get('chosen')) ?? {};
    ({ settings: this.settings, consent: this.consent } = resolveSettings(chosen, this.config));
    const key = JSON.stringify([
      this.settings.enabled,
      this.settings.natsUrl,
      this.settings.user,
      this.settings.password,
      this.settings.creds,
      this.settings.receive,
    ]);
    // New settings (or federation turned off) end every error's cause; what is still wrong is found again.
    if ((key !== this.connectionKey || !this.settings.enabled) && this.counters.lastError) await this.clear();
    this.periods = await updatePeriods(fed, this.settings, this.now());
    this.presencePeriods = await updatePeriods(fed, this.settings, this.now(), 'presence');
    await this.applyIssuer();
    if (this.settings.enabled) {
      this.lastFollow = this.now();
      await this.useSecret(answer ?? (await this.secrets.ask()));
    }
    if (key !== this.connectionKey || !this.settings.enabled) {
      this.connectionKey = key;
      await this.connection?.stop();
      this.connection = undefined;
      this.state = 'DISABLED';
      this.retryAtMs = null;
      if (this.settings.enabled && !this.settings.natsUrl) {
        this.state = 'ERROR';
        await this.error(fedError('FED_001', 'no federation server URL is set', this.now()));
      } else if (this.settings.enabled && this.identity) this.connect();
    }
    await this.scans.now();
  }

  /** The identity of the secret in force; true when a new one was adopted (it then reconnects, as a reset does). */
  private async useSecret(answer: SidecarSecret | undefined): Promise<boolean> {
    if (answer?.ok) this.sidecarInvite = answer.issuerInvite;
    try {
      const { secret, adopted, error, confirmed } = await this.secrets.settle(answer);
      if (error) await this.error(error);
      else if (confirmed) await this.clear('secret');
      if (adopted) this.connectionKey = '';
      this.identity = secret && (await Identity.from(secret));
      if (this.identity) this.nodeId = await this.identity.nodePseudonym(this.now());
      return adopted;
    } catch (error) {
      this.identity = undefined;
      await this.error(classify(error));
      return false;
    }
  }

  /** The slow round's question to the sidecar: when its secret changed (a reset in another browser), adopt it. */
  private async follow(): Promise<void> {
    if (!this.settings.enabled) return;
    try {
      const answer = await this.secrets.ask();
      if (await this.useSecret(answer)) await this.apply(answer);
    } catch (error) {
      await this.error(classify(error));
    }
  }

  /** The sidecar's invite, for its own issuer only: never sent to another one the operator set in this browser. */
  private sidecarInviteFor(issuerUrl: string): string {
    return this.sidecarInvite?.issuerUrl === issuerUrl ? this.sidecarInvite.code : '';
  }

  /** Whether messages carry tokens: federation is on with an issuer set. */
  private tokensOn(): boolean {
    return this.settings.enabled && this.settings.issuerUrl !== '';
  }

  /**
   * The token schedule of the issuer in force: kept while it is the same issuer; under another, the stock is
   * emptied (its tokens would count for nothing) and the first round comes soon.
   */
  private async applyIssuer(): Promise<void> {
    if (!this.tokensOn()) {
      this.fetching?.abort(STOPPED);
      this.tokenFetch = undefined;
      // Federation on without an issuer: tasks leave without tokens, not with those they were given.
      if (this.settings.enabled) await this.outbox.dropTokens();
      return;
    }
    // New pins count as another issuer too: tokens fetched under keys no longer pinned are not spent.
    const { issuerUrl, issuerKeyPins } = this.settings;
    const issuer = JSON.stringify([issuerUrl, issuerNameOf(this.settings), issuerKeyPins]);
    const stored = this.tokenFetch ?? (await this.options.fed.get('tokenFetch'));
    const periodMs = this.settings.tokenRoundSeconds * 1000;
    if (stored?.issuer === issuer) {
      this.tokenFetch = putOff(stored, this.now(), periodMs, this.random);
      return;
    }
    this.fetching?.abort(ANOTHER_ISSUER);
    await this.stock.clear();
    await this.outbox.dropTokens();
    this.tokenFetch = firstRound(issuer, this.now(), periodMs, this.random);
    await this.options.fed.set('tokenFetch', this.tokenFetch);
    this.tokenCounts = { presence: 0, task: 0 };
  }

  /**
   * One round of token fetches (token-schedule.ts): the week's presence tokens in the first round of each key
   * week, and task tokens in batches, as many as the waiting tasks and two periods of tasks need beyond the stock.
   * The round's tokens wait its quarantine before use. What was fetched is kept whatever fails or stops after it (the
   * issuer has counted it), but for another issuer's; the next round is a random moment of the next period
   * (sooner when the issuer could not be reached).
   */
  private async fetchTokens(state: TokenFetchState): Promise<void> {
    const controller = new AbortController();
    this.fetching = controller;
    const now = this.now();
    const periodMs = this.settings.tokenRoundSeconds * 1000;
    const first = state.presenceWeekMs === null;
    const quarantine = quarantineMs(periodMs, first, this.random);
    let next = nextRound(now, periodMs, this.random);
    let { presenceWeekMs, presenceGot } = state;
    const retrySoon = () => (next = Math.min(next, this.now() + uniform(this.random, RETRY_MS)));
    try {
      const { IssuerClient } = await import('./issuer-client.ts');
      const client = new IssuerClient(
        {
          url: this.settings.issuerUrl,
          name: issuerNameOf(this.settings),
          invite: this.settings.issuerInvite || this.sidecarInviteFor(this.settings.issuerUrl),
          pins: this.settings.issuerKeyPins,
        },
        { now: this.now },
      );
      const wants: [TokenKind, number][] = [];
      wants.push(['presence', presenceWanted(state, now)]);
      if (this.settings.shareTasks) {
        // The stock that will last: tokens still usable two periods on.
        const stock = (await this.stock.counts(now + 2 * periodMs)).task;
        const recent = await this.tasksFinishedSince(now - periodMs);
        const wanted = tasksWanted(await this.outbox.countPending(), recent);
        wants.push(['task', taskBatches(wanted, stock) * TASK_BATCH]);
      }
      let failed = false;
      for (const [kind, count] of wants) {
        if (count === 0 || controller.signal.aborted) continue;
        const { tokens, error } = await client.fetchTokens(kind, count, controller.signal);
        // Another issuer since (also one set after this round was stopped): these would count for nothing there.
        if (controller.signal.reason === ANOTHER_ISSUER) return;
        if (this.tokenFetch && this.tokenFetch.issuer !== state.issuer) return;
        const usableFromMs = this.now() + quarantine;
        await this.stock.add(tokens.map((t) => ({ ...t, usableFromMs })));
        // A round that got none (unreachable, refused) leaves the week's presence as it was: still the first
        // round under this issuer, if it was.
        if (kind === 'presence' && (tokens.length > 0 || error?.reason === 'exhausted')) {
          const week = keyWeekStart(now);
          const before = presenceWeekMs === week ? (presenceGot ?? PRESENCE_BATCH) : 0;
          presenceGot = error?.reason === 'exhausted' ? PRESENCE_BATCH : before + tokens.length;
          presenceWeekMs = week;
        }
        if (!error || controller.signal.aborted) continue;
        failed = true;
        await this.error(fedError('FED_011', `${kind} tokens: ${error.message}`, this.now()));
        // A refusal may be an invite not there yet (the sidecar did not answer): tried again soon too.
        if (['unreachable', 'issuer_error', 'refused'].includes(error.reason)) retrySoon();
        if (error.reason !== 'exhausted') break;
      }
      if (!failed && !controller.signal.aborted) await this.clear('tokens');
    } catch (error) {
      if (controller.signal.reason === ANOTHER_ISSUER) return;
      const message = error instanceof Error ? error.message : String(error);
      await this.error(fedError('FED_011', `tokens could not be fetched: ${message}`, this.now()));
      retrySoon();
    } finally {
      if (this.fetching === controller) this.fetching = undefined;
    }
    // Another issuer was set as the round ended: its own schedule stays.
    if (this.tokenFetch && this.tokenFetch.issuer !== state.issuer) return;
    // A stopped round is done again in the period after federation next runs (putOff).
    const nextMs = controller.signal.aborted ? now : next;
    const after = { ...state, nextMs, presenceWeekMs, ...(presenceGot !== undefined && { presenceGot }) };
    if (this.tokenFetch) this.tokenFetch = after;
    await this.options.fed.set('tokenFetch', after).catch(() => undefined);
    this.tokenCounts = await this.stock.counts(this.now()).catch(() => this.tokenCounts);
    this.emit();
  }

  /** The tasks that finished since `fromMs`, in any state: the node's recent rate. */
  private tasksFinishedSince(fromMs: number): Promise<number> {
    return this.options.fed.db.countFromIndex('outbox', 'finishedMs', IDBKeyRange.lowerBound(fromMs));
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
      retryAtMs: this.retryAtMs,
      settings: this.settings,
      leader,
      tokens: this.tokenStatus(),
    };
  }

  private tokenStatus(): TokenStatus | null {
    if (!this.tokensOn()) return null;
    return {
      ...this.tokenCounts,
      nextFetchMs: this.tokenFetch?.nextMs ?? null,
      pinned: this.settings.issuerKeyPins !== null,
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
      onState: (state, error, retryAtMs) => {
        this.state = state;
        this.retryAtMs = retryAtMs;
        if (error) void this.error(error);
        else if (state === 'CONNECTED') void this.clear('connected').then(() => this.emit());
        else this.emit();
      },
      onConnected: (nc, signal) => this.whileConnected(nc, signal),
      ...(this.options.backoff && { backoff: this.options.backoff }),
      random: this.random,
    });
    this.connection.start();
  }

  /** Reads the clock: reconnects after a sleep, and starts the slow round when it is due. */
  private tick(): void {
    const now = this.now();
    if (now - this.lastTick > SLEEP_GAP_MS) {
      this.reconnectNow();
      // A round that came due while the machine slept is not run at its wake (and its new connection).
      if (this.tokenFetch)
        this.tokenFetch = putOff(this.tokenFetch, now, this.settings.tokenRoundSeconds * 1000, this.random);
    }
    this.lastTick = now;
    if (now - this.lastRound > this.roundMs) void this.scans.now();
    if (this.secrets.paired && now - this.lastFollow > this.roundMs) {
      this.lastFollow = now;
      void this.serially(() => this.follow());
    }
    const fetch = this.tokenFetch;
    if (this.tokensOn() && fetch && now >= fetch.nextMs && !this.fetching) void this.fetchTokens(fetch);
    if (this.options.readConfig && now - this.lastConfigRead > this.roundMs) {
      this.lastConfigRead = now;
      void this.serially(() => this.rereadConfig());
    }
  }

  /** The deployment's settings as config.json says now: applied when they changed. */
  private async rereadConfig(): Promise<void> {
    const read = await this.options.readConfig?.().catch(() => undefined);
    if (!read || JSON.stringify(read.federation) === JSON.stringify(this.config)) return;
    this.config = read.federation;
    await this.apply();
    this.emit();
  }

  /** Newly finished tasks into the outbox, the pending count, and on the slow round the prune. */
  private async scan(): Promise<void> {
    const now = this.now();
    try {
      if (this.identity && this.settings.enabled && this.settings.shareTasks) {
        const { refused } = await this.outbox.scan(this.identity, this.periods, now);
        if (refused.length) {
          this.counters = { ...this.counters, refused: this.counters.refused + refused.length };
          await this.error(fedError('FED_003', `a task message was refused: ${refused.at(-1)!.reason}`));
        }
      }
      this.pending = await this.outbox.countPending();
      if (this.tokensOn()) this.tokenCounts = await this.stock.counts(now);
      if (now - this.lastRound > this.roundMs) {
        this.lastRound = now;
        await this.options.fed.prune(now, this.settings.feedRetentionDays);
        await this.stock.prune(now);
        // Forget what the prune dropped and what fell out of the 7 days: the outbox's memory stays bounded.
        await this.outbox.load();
      }
      await this.clear('scanned');
    } catch (error) {
      await this.error(classify(error));
    }
    this.emit();
  }

  /**
   * Counts an error and makes it the current one: the same code again adds to the current one's count (one box
   * however often it recurs), another code replaces it.
   */
  private async error(error: FedError): Promise<void> {
    const last = this.counters.lastError;
    const current: CurrentError =
      last?.code === error.code
        ? { ...error, count: last.count + 1, sinceMs: last.sinceMs }
        : { ...error, count: 1, sinceMs: error.atMs };
    this.counters = { ...this.counters, errors: this.counters.errors + 1, lastError: current };
    await this.options.fed.set('counters', this.counters).catch(() => undefined);
    this.emit();
  }

  /**
   * The current error goes when `recovery` ends its cause (codes.ts, ENDED_BY; a refused publication when one on
   * its `subject` went through), or whatever it is without a recovery (new settings). Its count stays in `errors`.
   * The caller emits the status.
   */
  private async clear(recovery?: Recovery, subject?: string): Promise<void> {
    const last = this.counters.lastError;
    const ends =
      last !== null &&
      (recovery === undefined ||
        (ENDED_BY[last.code].includes(recovery) &&
          (recovery !== 'sent' || last.subject === undefined || last.subject === subject)));
    if (!ends) return;
    this.counters = { ...this.counters, lastError: null };
    await this.options.fed.set('counters', this.counters).catch(() => undefined);
  }

  private emit(): void {
    this.options.onStatus(this.status());
  }

  /**
   * Publishes and flushes; returns the server's refusal, if any. A refusal arrives as an async error before the
   * flush's answer; the status loop records it within the same turn, so one more turn is enough to see it.
   */
  private async publish(
    nc: NatsConnection,
    refusals: Map<string, FedError>,
    subject: string,
    payloads: string[],
  ): Promise<FedError | undefined> {
    for (const payload of payloads) nc.publish(subject, payload);
    await flushed(nc);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return refusals.get(subject);
  }

  private async sent(n: number, subject: string): Promise<void> {
    this.counters = { ...this.counters, sent: this.counters.sent + n };
    // What left may have taken tokens from the stock.
    if (this.tokensOn()) this.tokenCounts = await this.stock.counts(this.now());
    await this.clear('sent', subject);
    await this.options.fed.set('counters', this.counters);
    this.emit();
  }

  /**
   * Until `signal` aborts: due tasks in shuffled batches, the first a random time after the connection opened,
   * then at random moments (a backlog paced); heartbeats; and at the UTC day's end, a new connection.
   */
  private async whileConnected(nc: NatsConnection, signal: AbortSignal): Promise<void> {
    const refusals = new Map<string, FedError>();
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type !== 'error') continue;
        if (s.error instanceof PermissionViolationError && s.error.operation === 'publish')
          refusals.set(s.error.subject, classify(s.error));
        else void this.error(classify(s.error));
      }
    })();
    if (this.settings.receive)
      receive(nc, this.options.fed, this.now, {
        error: (e) => void this.error(e),
        valid: () => {
          if (this.counters.lastError) void this.clear('received').then(() => this.emit());
        },
      });
    const connectedMs = this.now();
    // Nothing is published after the connection's UTC day ended, so no connection carries two pseudonyms.
    const dayEnd = nextMidnight(connectedMs);
    const renewAt = dayEnd + uniform(this.random, RENEW_MS);
    const tasksFrom = connectedMs + uniform(this.random, START_MS);
    let nextActivity = connectedMs + uniform(this.random, START_MS);
    const nextBeatAfter = (ms: number) =>
      ms + heartbeatDelay(this.settings.heartbeatSeconds * 1000, this.random);
    try {
      const lastBeat = Math.min((await this.options.fed.get('heartbeatAtMs')) ?? -Infinity, connectedMs);
      let nextBeat = Math.max(connectedMs, nextBeatAfter(lastBeat));
      while (!signal.aborted) {
        const now = this.now();
        if (now >= renewAt) {
          this.connection?.renew();
          return;
        }
        let draining = false;
        if (this.settings.shareTasks && now >= tasksFrom && now < dayEnd) {
          const due = await this.outbox.due(now, BATCH);
          // With an issuer, a task leaves with a token of its own or waits for the stock.
          const rows = this.tokensOn() && due.length ? await this.outbox.withTokens(due, now) : due;
          if (rows.length) await this.publishTasks(nc, refusals, shuffle(rows, this.random));
          draining = rows.length === BATCH;
        }
        const beatAt = this.settings.shareHeartbeat && now < dayEnd ? nextBeat : Infinity;
        if (now >= beatAt) {
          await this.heartbeat(nc, refusals, now);
          nextBeat = nextBeatAfter(now);
        }
        const activityAt = this.settings.shareHeartbeat && now < dayEnd ? nextActivity : Infinity;
        if (now >= activityAt)
          nextActivity = (await this.reportActivity(nc, refusals, now))
            ? now + uniform(this.random, [this.roundMs, Math.round(this.roundMs * 1.4)])
            : Infinity;
        const wait = draining
          ? uniform(this.random, PACE_MS)
          : Math.min(uniform(this.random, IDLE_MS), beatAt - now, activityAt - now, renewAt - now);
        await this.pause.sleep(Math.max(0, wait), signal);
      }
    } catch (error) {
      // Counted once, when the connection reports how it ended.
      this.connection?.fail(error instanceof Refused ? error.fed : classify(error));
    }
  }

  private async publishTasks(
    nc: NatsConnection,
    refusals: Map<string, FedError>,
    rows: OutboxRecord[],
  ): Promise<void> {
    const refusal = await this.publish(
      nc,
      refusals,
      SUBJECTS.task,
      rows.map((r) => r.json ?? ''),
    );
    if (refusal) {
      await this.outbox.markRefused(rows, SUBJECTS.task, refusal.message, this.now());
      throw new Refused(refusal);
    }
    await this.outbox.markSent(rows, SUBJECTS.task, this.now());
    this.pending = Math.max(0, this.pending - rows.length);
    await this.sent(rows.length, SUBJECTS.task);
  }

  /**
   * The hours the node was up that are still to report (activity.ts), in random order: today's on the day's
   * connection, each earlier UTC day's on a connection of its own, so no connection carries two days' pseudonyms.
   * False when the server refused them (one that does not take activity reports yet): tasks and heartbeats go on,
   * and this connection sends no more reports.
   */
  private async reportActivity(
    nc: NatsConnection,
    refusals: Map<string, FedError>,
    now: number,
  ): Promise<boolean> {
    if (!this.identity) return true;
    const { fed, main } = this.options;
    const region = this.settings.region ?? undefined;
    const input = { identity: this.identity, periods: this.presencePeriods, region, nowMs: now };
    const { reports, refused } = await pendingActivity(fed, main, input);
    if (refused.length) {
      this.counters = { ...this.counters, refused: this.counters.refused + refused.length };
      await this.error(fedError('FED_003', `an activity report was refused: ${refused.at(-1)!}`));
    }
    const days = new Map<number, ActivityReport[]>();
    for (const report of shuffle(await this.withPresence(reports, now), this.random)) {
      const day = utcDay(report.hourMs);
      days.set(day, [...(days.get(day) ?? []), report]);
    }
    for (const [day, list] of days) {
      const payloads = list.map((r) => r.json);
      const refusal =
        day === utcDay(now)
          ? await this.publish(nc, refusals, SUBJECTS.activity, payloads)
          : await this.connection?.sendAlone(SUBJECTS.activity, payloads);
      await recordActivity(fed, list, this.now(), refusal?.message);
      if (refusal) {
        await this.error({ ...refusal, message: `activity reports refused: ${refusal.message}` });
        return false;
      }
      await this.sent(list.length, SUBJECTS.activity);
    }
    return true;
  }

  /**
   * With an issuer, each report with its pseudonym's day's presence token (tokens.ts); a report whose day has
   * none, the stock being empty, waits. Without one, the reports as they are.
   */
  private async withPresence(reports: ActivityReport[], now: number): Promise<ActivityReport[]> {
    if (!this.tokensOn()) return reports;
    const out: ActivityReport[] = [];
    for (const report of reports) {
      const { node } = JSON.parse(report.json) as { node: string };
      const token = await this.stock.presenceFor(node, report.hourMs, now);
      const tokened = token && withToken(ActivityMessageSchema, report.json, token);
      if (tokened?.ok) out.push({ ...report, json: tokened.json });
    }
    return out;
  }

  /** The heartbeat with its day's presence token; without one (none set, or the stock empty) as it is. */
  private async withPresenceToken(json: string, node: string, now: number): Promise<string> {
    if (!this.tokensOn()) return json;
    const token = await this.stock.presenceFor(node, now, now);
    const tokened = token && withToken(HeartbeatMessageSchema, json, token);
    return tokened && tokened.ok ? tokened.json : json;
  }

  private async heartbeat(nc: NatsConnection, refusals: Map<string, FedError>, now: number): Promise<void> {
    if (!this.identity) return;
    const { main, fed } = this.options;
    const region = this.settings.region ?? undefined;
    const activity = await nodeActivity(main, now);
    const result = await heartbeatMessage({ ...activity, region, nowMs: now }, this.identity);
    if (!result.ok) {
      this.counters = { ...this.counters, refused: this.counters.refused + 1 };
      return this.error(fedError('FED_003', `a heartbeat was refused: ${result.reason}`));
    }
    this.nodeId = result.message.node;
    const json = await this.withPresenceToken(result.json, result.message.node, now);
    // Noted before it leaves: whatever happens to it, the next one waits the interval.
    await fed.set('heartbeatAtMs', now);
    const refusal = await this.publish(nc, refusals, SUBJECTS.heartbeat, [json]);
    const record = { atMs: now, subject: SUBJECTS.heartbeat, kind: 'heartbeat', json } as const;
    await fed.db.add('sent', refusal ? { ...record, refused: refusal.message } : record);
    if (refusal) throw new Refused(refusal);
    await this.sent(1, SUBJECTS.heartbeat);
  }
}
