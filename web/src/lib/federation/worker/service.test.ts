// The federation service against a real nats-server (WebSocket, the users and permissions of nats/), with
// the monitor's database and federation's own in fake-indexeddb. Randomness is fixed, and time is shifted
// where a test needs a window's end or a UTC midnight to come soon.
import 'fake-indexeddb/auto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import {
  ActivityMessageSchema,
  HeartbeatMessageSchema,
  TaskMessageSchema,
  WINDOW_MS,
} from '../../../../../protocol/federation.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import * as v from 'valibot';
import { ingestReader, type IngestReader } from '../../../../../test/support/ingest-reader.ts';
import {
  DEV_USERS,
  NATS_CONF,
  startNatsServer,
  type NatsServer,
} from '../../../../../test/support/nats-server.ts';
import { announceChange } from '../../db/changes.ts';
import type { TaskRecord, TruwatchDb } from '../../db/schema.ts';
import { freshDb, putAll, sampleEntries } from '../../../../../test/support/monitor-db.ts';
import { blockOf } from '../../db/blocks.ts';
import { HOUR_MS } from '../../db/up-hours.ts';
import { Identity } from './identity.ts';
import { Outbox } from './outbox.ts';
import { FederationService } from './service.ts';
import { SidecarIdentity } from './sidecar-identity.ts';
import type { FederationStatus } from '../status.ts';
import { DAY_MS, FederationDb } from './federation-db.ts';
import { sidecarReport } from './sidecar-report.ts';
import { HOLD_MAX_MS, START_MS, nextMidnight, shuffle, uniform, type Random } from './timing.ts';
import { sentLog } from './views.ts';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

let server: NatsServer;
let reader: IngestReader;
beforeAll(async () => {
  server = await startNatsServer();
  reader = await ingestReader(server);
});
afterAll(async () => {
  await server?.close();
});

let n = 0;
function finished(finishedMs: number): TaskRecord {
  n++;
  return {
    executionId: `exec-${n}-0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed`,
    status: n % 3 ? 'completed' : 'failed',
    firstSeenMs: finishedMs - 3000,
    finishedMs,
    chainId: '137',
    kind: 'function',
    taskId: `task-${n}`,
    blockNumber: 18_000_000 + n,
    metrics: { elapsedMs: 2345, memoryPeak: 5_000_000 },
    steps: 12_345_678,
  };
}

interface Setup {
  credentials?: { user: string; pass: string };
  receive?: boolean;
  roundMs?: number;
  /** Instead of the test server's, a heartbeat a second and tasks due as they finish. */
  config?: FederationConfig;
  /** Fixed by default: a connection's tasks start after 2.45 s, looks come every 2.4 s. */
  random?: Random;
  /** Added to the clock. */
  shiftMs?: number;
  /** The sidecar it is paired with. */
  sidecar?: SidecarIdentity;
  /** The connection's backoff: 100 ms doubling up to 500 ms unless given. */
  backoff?: { initialMs: number; maxMs: number };
  /** config.json read again on the slow round. */
  readConfig?: () => Promise<{ federation?: FederationConfig } | undefined>;
}

const freshFed = () => FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);

async function setup(options: Setup = {}) {
  return serviceOn(await freshDb(), await freshFed(), options);
}

/** A service (one browser's federation) on these databases, paired with `options.sidecar` if given. */
function serviceOn(main: TruwatchDb, fed: FederationDb, options: Setup = {}) {
  const { credentials = DEV_USERS.monitor, receive = false, shiftMs = 0 } = options;
  let status: FederationStatus | undefined;
  const history: FederationStatus[] = [];
  const config = options.config ?? {
    natsUrl: server.wsUrl,
    user: credentials.user,
    password: credentials.pass,
    heartbeatSeconds: 1,
    taskHoldSeconds: 0,
    receive,
  };
  const now = () => Date.now() + shiftMs;
  const make = () =>
    new FederationService({
      fed,
      main,
      config,
      onStatus: (s) => {
        status = s;
        history.push(s);
      },
      scanGapMs: 100,
      ...(options.roundMs !== undefined && { roundMs: options.roundMs }),
      ...(options.sidecar && { sidecar: options.sidecar }),
      ...(options.readConfig && { readConfig: options.readConfig }),
      backoff: options.backoff ?? { initialMs: 100, maxMs: 500 },
      random: options.random ?? (() => 0.05),
      now,
    });
  return { main, fed, service: make(), make, now, status: () => status, history };
}

/** The messages on `subject` that `keep` accepts, as the server received them, with when (shifted by `shiftMs`). */
async function arrived(subject: string, keep: (text: string) => boolean, shiftMs = 0) {
  return (await reader.arrivals(subject))
    .filter((m) => keep(m.text))
    .map((m) => ({ text: m.text, atMs: m.atMs + shiftMs }));
}

const nodeOf = (text: string): string => v.parse(HeartbeatMessageSchema, JSON.parse(text)).node;

/** Connections the server closed since `afterCid`, for the monitor user, oldest first. */
async function closedSince(afterCid: number) {
  const connz = (await (
    await fetch(`${server.monitorUrl}/connz?state=closed&auth=1&limit=10000`)
  ).json()) as {
    connections?: { cid: number; authorized_user?: string; in_msgs: number }[];
  };
  return (connz.connections ?? [])
    .filter((c) => c.cid > afterCid && c.authorized_user === 'monitor')
    .sort((a, b) => a.cid - b.cid);
}

/** Connections, open or closed, the server had from `user` since `afterCid`. */
async function connectionsOf(user: string, afterCid: number) {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?state=all&auth=1&limit=10000`)).json()) as {
    connections?: { cid: number; authorized_user?: string }[];
  };
  return (connz.connections ?? []).filter((c) => c.cid > afterCid && c.authorized_user === user);
}

async function lastCid(): Promise<number> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?state=all&limit=10000`)).json()) as {
    connections?: { cid: number }[];
  };
  return Math.max(0, ...(connz.connections ?? []).map((c) => c.cid));
}

/**
 * A sidecar keeping the node's secret, as far as the app sees it: GET answers it, POST makes a new one; `down`
 * answers nothing, `refusing` answers 401.
 */
function fakeSidecar() {
  const secret = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const state = { secret: secret(), mode: 'up' as 'up' | 'down' | 'refusing', asked: 0, resets: 0 };
  const fetcher = async (_url: string | URL | Request, init?: RequestInit) => {
    state.asked++;
    if (state.mode === 'down') throw new TypeError('Failed to fetch');
    if (state.mode === 'refusing') return Response.json({ error: 'invalid token' }, { status: 401 });
    if (init?.method === 'POST') {
      state.secret = secret();
      state.resets++;
    }
    return Response.json({ secret: state.secret, since: new Date().toISOString() });
  };
  const identity = () => Identity.from(new Uint8Array(Buffer.from(state.secret, 'base64url')));
  return {
    state,
    /** Today's pseudonym under the sidecar's secret. */
    pseudonym: async () => (await identity()).nodePseudonym(Date.now()),
    taskKey: async (executionId: string) => (await identity()).taskKey(executionId),
    /** What a browser paired with it is given. */
    pairing: () => new SidecarIdentity({ baseUrl: 'http://127.0.0.1:8090', token: 't0k3n' }, fetcher),
  };
}

const keyOf = (message: string) => v.parse(TaskMessageSchema, JSON.parse(message)).key;

const poll = (fn: () => unknown, timeout = 30_000) => vi.waitFor(fn, { timeout, interval: 100 });

describe('federation service', () => {
  it(
    'publishes each task finished since the opt-in once, across a server restart, and heartbeats',
    { timeout: 120_000 },
    async () => {
      const { main, fed, service, status } = await setup();
      await main.put('tasks', finished(Date.now() - 3_600_000)); // before the opt-in: never sent
      await fed.set('chosen', { enabled: true });
      await service.start();
      await poll(() => expect(status()?.state).toBe('CONNECTED'));
      const first = [finished(Date.now()), finished(Date.now()), finished(Date.now())];
      await putAll(main, 'tasks', first);
      announceChange();
      await poll(async () => expect(await reader.messages(SUBJECTS.task)).toHaveLength(3));

      await server.stop();
      await poll(() => expect(status()?.state).toBe('RECONNECTING'));
      const second = [finished(Date.now()), finished(Date.now())];
      await putAll(main, 'tasks', second);
      announceChange();
      await poll(() => expect(status()?.pending).toBe(2));
      await server.restart();
      await poll(async () => expect(await reader.messages(SUBJECTS.task)).toHaveLength(5));

      const tasks = (await reader.messages(SUBJECTS.task)).map((m) =>
        v.parse(TaskMessageSchema, JSON.parse(m)),
      );
      expect(new Set(tasks.map((t) => t.key)).size).toBe(5);
      expect(tasks.every((t) => t.chain === '137' && t.duration === '1-5s' && t.steps === '10M-100M')).toBe(
        true,
      );
      const beats = await reader.messages(SUBJECTS.heartbeat);
      expect(beats.length).toBeGreaterThanOrEqual(2);
      for (const beat of beats) v.parse(HeartbeatMessageSchema, JSON.parse(beat));
      expect((await fed.db.getAll('sent')).filter((s) => s.kind === 'task').length).toBe(5);
      expect(status()?.counters.sent).toBeGreaterThanOrEqual(5 + 2);
      // Nothing more after a while: each task went exactly once.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await service.stop();
      expect(await reader.messages(SUBJECTS.task)).toHaveLength(5);
    },
  );

  it('looks for finished tasks when the monitor announces a write, not by polling', async () => {
    const { main, fed, service } = await setup();
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    const before = (await reader.messages(SUBJECTS.task)).length;
    await putAll(main, 'tasks', [finished(Date.now())]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await fed.db.count('outbox')).toBe(0);
    announceChange();
    await poll(async () => expect(await fed.db.count('outbox')).toBe(1));
    await poll(async () => expect(await reader.messages(SUBJECTS.task)).toHaveLength(before + 1));
    await service.stop();
  });

  it('still finds, on its slow round, a task no announced write brought', async () => {
    const { main, fed, service } = await setup({ roundMs: 500 });
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    await putAll(main, 'tasks', [finished(Date.now())]);
    await poll(async () => expect(await fed.db.count('outbox')).toBe(1));
    await service.stop();
  });

  it('shows FED_010 when the credentials may not publish, keeps the tasks for later, and logs them refused once', async () => {
    const { main, fed, service, status } = await setup({ credentials: DEV_USERS.public });
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    await main.put('tasks', finished(Date.now()));
    announceChange();
    await poll(() => expect(status()?.counters.lastError?.code).toBe('FED_010'));
    await poll(() => expect(status()?.state).toBe('ERROR'));
    // Refused on three connections, in the sent log once, marked refused with the server's reason.
    await poll(() => expect(status()?.counters.errors).toBeGreaterThanOrEqual(3));
    const log = await sentLog(fed, '');
    expect(log).toHaveLength(1);
    expect(log[0]!.refused).toMatch(/Permissions Violation for Publish to "truebit.v1.task"/);
    expect(status()?.counters.sent).toBe(0);
    expect(status()?.pending).toBe(1);
    await service.stop();
  });

  it(
    'with a user that may not publish: one FED_010 per refused attempt, one box with its count, the retries backing off, gone with new credentials',
    { timeout: 120_000 },
    async () => {
      const before = await lastCid();
      // The backoff of the app: 1 s doubling, here 525 ms · 2^k (the fixed random halves it, plus 2.5 %).
      const { main, fed, service, status, history } = await setup({
        credentials: DEV_USERS.public,
        backoff: { initialMs: 1000, maxMs: 60_000 },
      });
      await fed.set('chosen', { enabled: true, shareTasks: false });
      await service.start();
      await poll(() => expect(status()?.counters.errors).toBeGreaterThanOrEqual(4), 60_000);
      // Each refusal is one error (the server saw one connection for each), all one box: the same cause.
      const refused = status()!.counters;
      const attempts = (await connectionsOf('public', before)).length;
      expect(refused.errors).toBeGreaterThanOrEqual(attempts - 1);
      expect(refused.errors).toBeLessThanOrEqual(attempts);
      expect(refused.lastError).toMatchObject({ code: 'FED_010', count: refused.errors });
      expect(new Set(history.map((s) => s.counters.lastError?.sinceMs).filter(Boolean)).size).toBe(1);
      // The wait before each next attempt, as the worker set it when the refusal came: it doubles. Lower bounds
      // only (a busy machine adds to them); without the backoff each is about 525 ms.
      const waits = new Map<number, number>();
      for (const s of history)
        if (s.state === 'ERROR' && s.retryAtMs !== null && s.counters.lastError)
          waits.set(s.counters.lastError.count, s.retryAtMs - s.counters.lastError.atMs);
      for (const k of [1, 2, 3]) expect(waits.get(k)).toBeGreaterThanOrEqual(525 * 2 ** (k - 1) - 1);

      // The monitor's credentials: the box goes with the settings, and the tasks leave.
      await fed.set('chosen', {
        ...(await fed.get('chosen')),
        user: 'monitor',
        password: DEV_USERS.monitor.pass,
        shareTasks: true,
      });
      await service.reload();
      const { errors } = status()!.counters;
      expect(status()?.counters.lastError).toBeNull();
      await main.put('tasks', finished(Date.now()));
      announceChange();
      await poll(() => expect(status()?.counters.sent).toBeGreaterThanOrEqual(1));
      expect(status()?.counters).toMatchObject({ lastError: null, errors });
      await service.stop();
    },
  );

  /** A service with federation on (tasks not shared), once it is connected. */
  async function connected() {
    const running = await setup();
    await running.fed.set('chosen', { enabled: true, shareTasks: false });
    await running.service.start();
    await poll(() => expect(running.status()?.state).toBe('CONNECTED'));
    return running;
  }

  /** Stops the server by `stop`, waits until `waiting` holds, and starts the server again whatever happened. */
  async function whileServerDown(stop: () => Promise<void>, waiting: () => void) {
    await stop();
    try {
      await poll(waiting);
    } finally {
      await server.restart();
    }
  }

  it(
    'the FED_001 box goes when the server is back, and its count stays in the errors',
    { timeout: 120_000 },
    async () => {
      const { service, status } = await connected();
      // One status read for all four: between two attempts (a new one may start between two reads).
      await whileServerDown(
        () => server.stop(),
        () => {
          const waiting = status();
          expect(waiting?.counters.lastError?.code).toBe('FED_001');
          expect(waiting?.counters.lastError?.count).toBeGreaterThanOrEqual(2);
          expect(waiting?.state).toBe('RECONNECTING');
          expect(waiting?.retryAtMs).toEqual(expect.any(Number));
        },
      );
      await poll(() => expect(status()?.state).toBe('CONNECTED'), 60_000);
      expect(status()?.counters.lastError).toBeNull();
      expect(status()?.retryAtMs).toBeNull();
      expect(status()?.counters.errors).toBeGreaterThanOrEqual(2);
      await service.stop();
    },
  );

  it(
    'the server gone while a heartbeat waits for its answer: the service retries and reconnects',
    { timeout: 120_000 },
    async () => {
      const { service, status } = await connected();
      // Frozen, the server takes the next heartbeat (one a second here) and never answers its flush; then it dies.
      // Before the fix, the flush never settled, and the service stayed "connected" to a dead server for good.
      await whileServerDown(
        async () => {
          process.kill(server.child().pid!, 'SIGSTOP');
          await new Promise((resolve) => setTimeout(resolve, 2000));
          await server.stop('SIGKILL');
        },
        () => {
          expect(status()?.state).toBe('RECONNECTING');
          expect(status()?.counters.lastError?.code).toBe('FED_001');
        },
      );
      await poll(() => expect(status()?.state).toBe('CONNECTED'), 60_000);
      await service.stop();
    },
  );

  it('the FED_002 box goes when the settings are fixed, before the next attempt', async () => {
    const { fed, service, status } = await setup({ credentials: { user: 'monitor', pass: 'wrong' } });
    await fed.set('chosen', { enabled: true, shareTasks: false });
    await service.start();
    await poll(() => expect(status()?.counters.lastError?.code).toBe('FED_002'));
    await fed.set('chosen', { ...(await fed.get('chosen')), password: DEV_USERS.monitor.pass });
    await service.reload();
    expect(status()?.counters.lastError).toBeNull();
    await poll(() => expect(status()?.state).toBe('CONNECTED'));
    expect(status()?.counters.lastError).toBeNull();
    await service.stop();
  });

  it('logs each refused heartbeat as refused, never sooner than the interval after the last', async () => {
    const { fed, service, status } = await setup({ credentials: DEV_USERS.public });
    await fed.set('chosen', { enabled: true, shareTasks: false });
    await service.start();
    await poll(async () => expect((await sentLog(fed, '')).length).toBeGreaterThanOrEqual(3));
    await service.stop();
    const log = (await sentLog(fed, '')).reverse();
    expect(log.every((r) => r.kind === 'heartbeat' && r.refused?.includes('Permissions Violation'))).toBe(
      true,
    );
    for (let i = 1; i < log.length; i++) expect(log[i]!.atMs - log[i - 1]!.atMs).toBeGreaterThanOrEqual(1000);
    expect(status()?.counters.sent).toBe(0);
  });

  it('enabled without a server URL: ERROR with FED_001, also in the report to the sidecar', async () => {
    const { fed, service, status } = await setup({ config: { enabled: true } });
    await service.start();
    expect(status()?.state).toBe('ERROR');
    expect(status()?.counters.lastError).toMatchObject({
      code: 'FED_001',
      message: 'no federation server URL is set',
    });
    await fed.set('chosen', { region: 'EU' });
    await service.reload();
    expect(sidecarReport(status()!, undefined)).toMatchObject({
      enabled: true,
      connected: false,
      state: 'ERROR',
      counters: { lastError: 'FED_001: no federation server URL is set' },
    });
    await service.stop();
  });

  it('follows the deployment turned on and off through the sidecar on its slow round; a failed read changes nothing', async () => {
    const base = { natsUrl: server.wsUrl, user: 'monitor', password: 'monitor', heartbeatSeconds: 1 };
    let served: { federation?: FederationConfig } | undefined = { federation: base };
    const { service, status } = await setup({ config: base, roundMs: 300, readConfig: async () => served });
    await service.start();
    expect(status()).toMatchObject({ enabled: false, consent: null, state: 'DISABLED' });
    served = { federation: { ...base, enabled: true, enabledBy: 'api' } };
    await poll(() => expect(status()).toMatchObject({ consent: 'command-line', state: 'CONNECTED' }));
    served = undefined;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(status()).toMatchObject({ consent: 'command-line', state: 'CONNECTED' });
    served = { federation: { ...base, enabled: false, enabledBy: 'api' } };
    await poll(() => expect(status()).toMatchObject({ enabled: false, consent: null, state: 'DISABLED' }));
    await service.stop();
  });

  it('shows FED_002 for a wrong password, and connects nowhere while disabled', async () => {
    const wrong = await setup({ credentials: { user: 'monitor', pass: 'wrong' } });
    await wrong.fed.set('chosen', { enabled: true });
    await wrong.service.start();
    await poll(() => expect(wrong.status()?.counters.lastError?.code).toBe('FED_002'));
    expect(wrong.status()?.state).toBe('ERROR');
    await wrong.service.stop();

    const off = await setup();
    await off.service.start();
    expect(off.status()?.state).toBe('DISABLED');
    const connz = (await (await fetch(`${server.monitorUrl}/connz?auth=1`)).json()) as {
      connections?: { authorized_user?: string }[];
    };
    expect((connz.connections ?? []).filter((c) => c.authorized_user === 'monitor')).toHaveLength(0);
    await off.service.stop();
  });

  it('keeps the stats and feed it receives, and says FED_009 for another protocol version', async () => {
    const { fed, service, status } = await setup({ receive: true });
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    await poll(() => expect(status()?.state).toBe('CONNECTED'));
    const aggregator = await connect({ servers: server.url, ...DEV_USERS.aggregator });
    const stats = {
      v: 1,
      at: '2026-11-21T10:41:10Z',
      activeNodes: 3,
      nodesToday: 4,
      tasks: { lastHour: 1, last24h: 2, last7d: 3 },
      outcomes: { completed: 2 },
      kinds: { function: 2 },
      chains: { '137': 2 },
      duration: { '<1s': 2 },
      steps: { '<1M': 2 },
      memory: { '<16MiB': 2 },
      regions: { other: 3 },
      versions: { other: 3 },
      hourly: [],
    };
    const task = {
      window: '2026-11-21T10:10:00Z',
      chain: '137',
      kind: 'api',
      outcome: 'completed',
      duration: '<1s',
      steps: '<1M',
      memory: '<16MiB',
      cached: false,
    };
    // Published until received (the subscription may reach the server after the first one); then the feed once.
    await poll(async () => {
      aggregator.publish(SUBJECTS.stats, JSON.stringify(stats));
      await aggregator.flush();
      expect((await fed.get('stats'))?.message).toEqual(stats);
    });
    aggregator.publish(
      SUBJECTS.feed,
      JSON.stringify({ v: 1, window: task.window, tasks: [task, task], more: 0 }),
    );
    await poll(async () => expect(await fed.db.count('feed')).toBe(2));
    aggregator.publish(SUBJECTS.stats, JSON.stringify({ ...stats, v: 2 }));
    await poll(() => expect(status()?.counters.lastError?.code).toBe('FED_009'));
    await aggregator.close();
    await service.stop();
  });

  it("two browsers paired with one sidecar publish every task under the node's one key, and one pseudonym", async () => {
    const sidecar = fakeSidecar();
    const browsers = await Promise.all(
      [0, 1].map(async () => serviceOn(await freshDb(), await freshFed(), { sidecar: sidecar.pairing() })),
    );
    for (const b of browsers) {
      await b.fed.set('chosen', { enabled: true, shareHeartbeat: false });
      await b.service.start();
    }
    for (const b of browsers) await poll(() => expect(b.status()?.state).toBe('CONNECTED'));
    const before = (await reader.messages(SUBJECTS.task)).length;
    const tasks = [finished(Date.now()), finished(Date.now())];
    for (const b of browsers) await putAll(b.main, 'tasks', tasks);
    announceChange();
    await poll(async () => expect((await reader.messages(SUBJECTS.task)).length - before).toBe(4));
    const keys = (await reader.messages(SUBJECTS.task)).slice(before).map(keyOf);
    const expected = await Promise.all(tasks.map((t) => sidecar.taskKey(t.executionId)));
    expect([...keys].sort()).toEqual([...expected, ...expected].sort());
    for (const b of browsers) expect(b.status()?.nodeId).toBe(await sidecar.pseudonym());
    for (const b of browsers) await b.service.stop();
  });

  it("an existing install moves to the node's secret at its first answer: what it sent is not sent again", async () => {
    const main = await freshDb();
    const fed = await freshFed();
    const own = serviceOn(main, fed);
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await own.service.start();
    const before = (await reader.messages(SUBJECTS.task)).length;
    const sent = finished(Date.now());
    await main.put('tasks', sent);
    announceChange();
    await poll(async () => expect((await reader.messages(SUBJECTS.task)).length - before).toBe(1));
    await own.service.stop();
    // A task found while the server could not be reached: it waits in the outbox under the browser's secret.
    const waiting = finished(Date.now());
    await main.put('tasks', waiting);
    const outbox = new Outbox(fed, main, (finishedMs) => finishedMs);
    await outbox.load();
    const local = await Identity.from(await fed.get('secret'));
    await outbox.scan(local, (await fed.get('periods'))!, Date.now());
    expect(await outbox.countPending()).toBe(1);

    const sidecar = fakeSidecar();
    const paired = serviceOn(main, fed, { sidecar: sidecar.pairing() });
    await paired.service.start();
    await poll(async () => expect((await reader.messages(SUBJECTS.task)).length - before).toBe(2));
    expect((await reader.messages(SUBJECTS.task)).slice(before).map(keyOf)).toEqual([
      await local.taskKey(sent.executionId),
      await sidecar.taskKey(waiting.executionId),
    ]);
    expect(paired.status()?.nodeId).toBe(await sidecar.pseudonym());
    await paired.service.stop();
    expect((await reader.messages(SUBJECTS.task)).length - before).toBe(2);
  });

  it('follows a reset made in another browser on its slow round, and resets through the sidecar', async () => {
    const sidecar = fakeSidecar();
    const browser = serviceOn(await freshDb(), await freshFed(), {
      sidecar: sidecar.pairing(),
      roundMs: 300,
    });
    await browser.fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await browser.service.start();
    expect(browser.status()?.nodeId).toBe(await sidecar.pseudonym());

    sidecar.state.secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const theirs = await sidecar.pseudonym();
    await poll(() => expect(browser.status()?.nodeId).toBe(theirs));

    await browser.service.resetIdentity();
    expect(sidecar.state.resets).toBe(1);
    expect(browser.status()?.nodeId).toBe(await sidecar.pseudonym());
    expect(browser.status()?.nodeId).not.toBe(theirs);
    await poll(() => expect(browser.status()?.state).toBe('CONNECTED'));
    await browser.service.stop();
  });

  it('goes on under the last secret while the sidecar is away, tells a refusal once, and waits for a first secret', async () => {
    const sidecar = fakeSidecar();
    sidecar.state.mode = 'down';
    const browser = serviceOn(await freshDb(), await freshFed(), {
      sidecar: sidecar.pairing(),
      roundMs: 300,
    });
    await browser.fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await browser.service.start();
    // No secret yet: no connection (a browser's own would count the node twice), and it says why.
    expect(browser.status()?.state).toBe('DISABLED');
    expect(browser.status()?.counters.lastError).toMatchObject({
      code: 'FED_005',
      message: expect.stringContaining("waiting for the node's secret"),
    });
    sidecar.state.mode = 'up';
    await poll(() => expect(browser.status()?.state).toBe('CONNECTED'));
    const pseudonym = await sidecar.pseudonym();
    expect(browser.status()?.nodeId).toBe(pseudonym);
    const errors = browser.status()!.counters.errors;

    sidecar.state.mode = 'down';
    await expect(browser.service.resetIdentity()).rejects.toThrow(
      /FED_005: no new identity: .*Failed to fetch/,
    );
    expect(browser.status()?.counters.errors).toBe(errors + 1);
    const asked = sidecar.state.asked;
    await poll(() => expect(sidecar.state.asked).toBeGreaterThanOrEqual(asked + 2)); // two slow rounds
    expect(browser.status()).toMatchObject({ state: 'CONNECTED', nodeId: pseudonym });
    expect(browser.status()?.counters.errors).toBe(errors + 1);

    sidecar.state.mode = 'refusing';
    await browser.service.reload();
    await browser.service.reload();
    expect(browser.status()?.counters).toMatchObject({
      errors: errors + 2,
      lastError: { code: 'FED_005', message: expect.stringContaining("refused this browser's token (401)") },
    });
    expect(browser.status()).toMatchObject({ state: 'CONNECTED', nodeId: pseudonym });
    await browser.service.stop();
  });

  it('never heartbeats sooner than the interval, also across a restart: every leader reads the last time', async () => {
    const config = { natsUrl: server.wsUrl, user: 'monitor', password: DEV_USERS.monitor.pass };
    const { fed, service, make, status } = await setup({ config: { ...config, heartbeatSeconds: 3 } });
    const ours = () => arrived(SUBJECTS.heartbeat, (text) => nodeOf(text) === status()?.nodeId);
    await fed.set('chosen', { enabled: true, shareTasks: false });
    await service.start();
    await poll(async () => expect(await ours()).toHaveLength(1));
    await service.stop();
    // A page load: a new service on the same database, which connects at once.
    const next = make();
    await next.start();
    await poll(async () => expect(await ours()).toHaveLength(3), 20_000);
    await next.stop();
    const beats = await ours();
    // Published 3000 ms apart or more by the clock; received, give or take a few ms of delivery.
    for (let i = 1; i < beats.length; i++)
      expect(beats[i]!.atMs - beats[i - 1]!.atMs).toBeGreaterThan(3000 - 50);
    // The sent log lists what arrived, and only that.
    expect((await sentLog(fed, '')).map((r) => r.json).reverse()).toEqual(beats.map((b) => b.text));
  });

  it('publishes a task only after its window closed and its random hold, in shuffled order', async () => {
    const random = () => 0.01;
    const windowEnd = Math.ceil((Date.now() + 10_000) / WINDOW_MS) * WINDOW_MS;
    const shiftMs = windowEnd - 4000 - Date.now();
    const config = { natsUrl: server.wsUrl, user: 'monitor', password: DEV_USERS.monitor.pass };
    // The clock 4 s before a window's end: the tasks finish in a window about to close.
    const { main, fed, service, now } = await setup({ config, random, shiftMs });
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    const start = now();
    await putAll(
      main,
      'tasks',
      Array.from({ length: 5 }, (_, i) => finished(start + i)),
    );
    announceChange();
    await poll(async () => expect(await fed.db.count('outbox')).toBe(5));
    const rows = (await fed.db.getAll('outbox')).sort((a, b) => a.finishedMs - b.finishedMs);
    const byFinish = rows.map((r) => r.json!);
    const ours = () => arrived(SUBJECTS.task, (text) => byFinish.includes(text), shiftMs);
    await poll(async () => expect(await ours()).toHaveLength(5));
    await service.stop();
    const tasks = await ours();
    const hold = uniform(random, [0, HOLD_MAX_MS]);
    expect(hold).toBe(1200);
    for (const task of tasks) expect(task.atMs).toBeGreaterThanOrEqual(windowEnd + hold);
    // One batch, in an order the finish times do not give.
    const order = tasks.map((t) => t.text);
    expect(order).not.toEqual(byFinish);
    expect(order).toEqual(shuffle(byFinish, random));
  });

  it('sends a backlog a random while after the first heartbeat, not with it, all of it once', async () => {
    const random = () => 0.1;
    const config = { natsUrl: server.wsUrl, user: 'monitor', password: DEV_USERS.monitor.pass };
    const { main, fed, service, status } = await setup({
      config: { ...config, heartbeatSeconds: 60 },
      random,
    });
    // Federation was on for the last three hours, but no tab was open: 120 tasks wait.
    const t0 = Date.now();
    await fed.set('periods', [{ fromMs: t0 - 3 * 3_600_000, toMs: null }]);
    await fed.set('chosen', { enabled: true });
    await putAll(
      main,
      'tasks',
      Array.from({ length: 120 }, (_, i) => finished(t0 - 2 * 3_600_000 + i * 30_000)),
    );
    await service.start();
    await poll(async () => expect(await fed.db.count('outbox')).toBe(120));
    const byFinish = (await fed.db.getAll('outbox'))
      .sort((a, b) => a.finishedMs - b.finishedMs)
      .map((r) => r.json!);
    const ours = () => arrived(SUBJECTS.task, (text) => byFinish.includes(text));
    await poll(async () => expect(await ours()).toHaveLength(120));
    await service.stop();
    const [beat] = await arrived(SUBJECTS.heartbeat, (text) => nodeOf(text) === status()?.nodeId);
    const tasks = await ours();
    // The heartbeat goes when the connection opens, the backlog START_MS later (3.9 s here), give or take the
    // heartbeat's own making (well under 500 ms).
    expect(uniform(random, START_MS)).toBe(3900);
    expect(tasks[0]!.atMs - beat!.atMs).toBeGreaterThan(3900 - 500);
    expect(new Set(tasks.map((t) => t.text)).size).toBe(120);
    expect(tasks.map((t) => t.text)).not.toEqual(byFinish);
  });

  it('replaces its connection after each UTC midnight: no connection carries two days, nor a task after it', async () => {
    const random = () => 0.01;
    const midnight = nextMidnight(Date.now() + 10_000);
    const config = {
      natsUrl: server.wsUrl,
      user: 'monitor',
      password: DEV_USERS.monitor.pass,
      heartbeatSeconds: 1,
    };
    // The clock 3 s before midnight: the connection is replaced at midnight + 5.55 s. A task of the day's last
    // window, finished after federation was turned on, is due 1.2 s after midnight (its hold): it waits for the new
    // connection.
    const shiftMs = midnight - 3000 - Date.now();
    const { main, fed, service, status } = await setup({ config, random, shiftMs });
    const before = await lastCid();
    const task = finished(midnight - 1500);
    await main.put('tasks', task);
    await fed.set('chosen', { enabled: true });
    await service.start();
    const identity = await Identity.from(await fed.get('secret'));
    const [yesterday, today] = [
      await identity.nodePseudonym(midnight - 1),
      await identity.nodePseudonym(midnight),
    ];
    const count = async (node: string) =>
      (await arrived(SUBJECTS.heartbeat, (text) => nodeOf(text) === node)).length;
    const lastWindow = new Date(midnight - WINDOW_MS).toISOString().replace('.000Z', 'Z');
    const ours = (text: string) => (JSON.parse(text) as { window: string }).window === lastWindow;
    await poll(async () => expect(await count(today)).toBeGreaterThanOrEqual(2), 20_000);
    await poll(async () => expect(await arrived(SUBJECTS.task, ours, shiftMs)).toHaveLength(1), 20_000);
    expect(status()?.nodeId).toBe(today);
    await service.stop();
    await poll(async () => expect(await closedSince(before)).toHaveLength(2));
    const [first, second] = await closedSince(before);
    expect(await count(yesterday)).toBeGreaterThanOrEqual(2);
    expect(first!.in_msgs).toBe(await count(yesterday));
    expect(second!.in_msgs).toBe((await count(today)) + 1);
  });

  it("reports the hours the node was up, each once: today's on the day's connection, an earlier day's on one of its own", async () => {
    // The clock at 12:20 UTC on a day to come: three closed hours today, two yesterday.
    const day = (Math.floor(Date.now() / DAY_MS) + 2) * DAY_MS;
    const shiftMs = day + 12 * HOUR_MS + 20 * 60_000 - Date.now();
    const hours = [
      day - 4 * HOUR_MS,
      day - 3 * HOUR_MS,
      day + 9 * HOUR_MS,
      day + 10 * HOUR_MS,
      day + 11 * HOUR_MS,
    ];
    const { main, fed, service, make, now } = await setup({ shiftMs, roundMs: 500 });
    const template = sampleEntries()[0]!;
    await putAll(main, 'blocks', [
      blockOf(
        hours.map((h, i) => ({ ...template, id: `c-${String(i).padStart(4, '0')}`, tsMs: h + 60_000 })),
      ),
    ]);
    await main.put('node', { key: 'node', runnerVersion: '2.4.0' });
    await fed.set('chosen', { enabled: true, shareTasks: false, optIn: { atMs: now(), pastWeek: true } });
    const before = await lastCid();
    await service.start();
    const identity = await Identity.from(await fed.get('secret'));
    const ours = new Map(
      await Promise.all(hours.map(async (h) => [await identity.nodePseudonym(h), h] as const)),
    );
    const reports = async () =>
      (await reader.messages(SUBJECTS.activity))
        .map((m) => v.parse(ActivityMessageSchema, JSON.parse(m)))
        .filter((m) => ours.has(m.node));
    await poll(async () => expect(await reports()).toHaveLength(hours.length));
    // Each under the pseudonym of its hour's day, with the node's runner version.
    for (const report of await reports()) {
      expect(report.node).toBe(await identity.nodePseudonym(Date.parse(report.hour)));
      expect(report.version).toBe('2.4');
    }
    expect((await reports()).map((r) => Date.parse(r.hour)).sort((a, b) => a - b)).toEqual(hours);
    // Yesterday's two went on a connection of their own, closed since.
    await poll(async () => expect((await closedSince(before)).map((c) => c.in_msgs)).toContain(2));
    // A new leader (a restart) knows they were reported.
    await service.stop();
    const next = make();
    const beats = (await reader.messages(SUBJECTS.heartbeat)).length;
    await next.start();
    await poll(async () =>
      expect((await reader.messages(SUBJECTS.heartbeat)).length).toBeGreaterThan(beats + 1),
    );
    await next.stop();
    expect(await reports()).toHaveLength(hours.length);
  });

  it('goes on with tasks and heartbeats when the server refuses activity reports (one older than them)', async () => {
    // The development server as it was before activity reports: the monitor may publish tasks and heartbeats only.
    const dir = mkdtempSync(join(tmpdir(), 'truwatch-old-nats-'));
    copyFileSync(NATS_CONF, join(dir, 'nats.conf'));
    const users = readFileSync(new URL('../../../../../nats/users.conf', import.meta.url), 'utf8');
    const older = users.replace(', "truebit.v1.activity"]', ']');
    expect(older).not.toBe(users);
    writeFileSync(join(dir, 'users.conf'), older);
    const old = await startNatsServer({ config: join(dir, 'nats.conf') });
    try {
      const oldReader = await ingestReader(old);
      const day = (Math.floor(Date.now() / DAY_MS) + 2) * DAY_MS;
      const shiftMs = day + 12 * HOUR_MS + 20 * 60_000 - Date.now();
      const config = {
        natsUrl: old.wsUrl,
        user: 'monitor',
        password: DEV_USERS.monitor.pass,
        heartbeatSeconds: 1,
        taskHoldSeconds: 0,
      };
      const { main, fed, service, now, status } = await setup({ config, shiftMs, roundMs: 500 });
      const template = sampleEntries()[0]!;
      await putAll(main, 'blocks', [blockOf([{ ...template, id: 'c-0001', tsMs: day + 9 * HOUR_MS }])]);
      await fed.set('chosen', { enabled: true, optIn: { atMs: now(), pastWeek: true } });
      await service.start();
      await poll(() =>
        expect(status()?.counters.lastError?.message).toMatch(
          /^activity reports refused: .*truebit\.v1\.activity/,
        ),
      );
      // Tasks and heartbeats go on, on the same connection.
      await main.put('tasks', finished(now()));
      announceChange();
      await poll(async () => expect(await oldReader.messages(SUBJECTS.task)).toHaveLength(1));
      const beats = (await oldReader.messages(SUBJECTS.heartbeat)).length;
      await poll(async () =>
        expect((await oldReader.messages(SUBJECTS.heartbeat)).length).toBeGreaterThan(beats + 1),
      );
      expect(status()?.state).toBe('CONNECTED');
      const log = (await fed.db.getAll('sent')).filter((r) => r.kind === 'activity');
      expect(log.length).toBeGreaterThan(0);
      expect(log.every((r) => r.refused !== undefined)).toBe(true);
      expect(await oldReader.messages(SUBJECTS.activity)).toEqual([]);
      await service.stop();
    } finally {
      await old.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
