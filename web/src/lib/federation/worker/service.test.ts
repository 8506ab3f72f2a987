// The federation service against a real nats-server (WebSocket, the users and permissions of nats/), with
// the monitor's database and federation's own in fake-indexeddb.
import 'fake-indexeddb/auto';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { TaskMessageSchema, HeartbeatMessageSchema } from '../../../../../protocol/federation.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import * as v from 'valibot';
import { ingestReader, type IngestReader } from '../../../../../test/support/ingest-reader.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../../../../test/support/nats-server.ts';
import { announceChange } from '../../db/changes.ts';
import type { TaskRecord } from '../../db/schema.ts';
import { freshDb, putAll } from '../../../../../test/support/monitor-db.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { Identity } from './identity.ts';
import { Outbox } from './outbox.ts';
import { FederationService } from './service.ts';
import { SidecarIdentity } from './sidecar-identity.ts';
import type { FederationStatus } from '../status.ts';
import { FederationDb } from './federation-db.ts';

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

const freshFed = () => FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);

async function setup(
  credentials: { user: string; pass: string } = DEV_USERS.monitor,
  receive = false,
  roundMs?: number,
) {
  return serviceOn(await freshDb(), await freshFed(), { credentials, receive, roundMs });
}

/** A service (one browser's federation) on these databases, paired with `sidecar` if given. */
function serviceOn(
  main: TruwatchDb,
  fed: FederationDb,
  options: {
    credentials?: { user: string; pass: string };
    receive?: boolean;
    roundMs?: number | undefined;
    sidecar?: SidecarIdentity;
  } = {},
) {
  const { credentials = DEV_USERS.monitor, receive = false, roundMs, sidecar } = options;
  let status: FederationStatus | undefined;
  const service = new FederationService({
    fed,
    main,
    config: {
      natsUrl: server.wsUrl,
      user: credentials.user,
      password: credentials.pass,
      heartbeatSeconds: 1,
      receive,
    },
    onStatus: (s) => (status = s),
    scanGapMs: 100,
    ...(roundMs !== undefined && { roundMs }),
    ...(sidecar && { sidecar }),
    backoff: { initialMs: 100, maxMs: 500 },
  });
  return { main, fed, service, status: () => status };
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
      await service.stop();
      // Nothing more after a while: each task went exactly once.
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
    const { main, fed, service } = await setup(DEV_USERS.monitor, false, 500);
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    await putAll(main, 'tasks', [finished(Date.now())]);
    await poll(async () => expect(await fed.db.count('outbox')).toBe(1));
    await service.stop();
  });

  it('shows FED_010 when the credentials may not publish, and keeps the tasks for later', async () => {
    const { main, fed, service, status } = await setup(DEV_USERS.public);
    await fed.set('chosen', { enabled: true, shareHeartbeat: false });
    await service.start();
    await main.put('tasks', finished(Date.now()));
    announceChange();
    await poll(() => expect(status()?.counters.lastError?.code).toBe('FED_010'));
    await poll(() => expect(status()?.state).toBe('ERROR'));
    expect(status()?.counters.sent).toBe(0);
    expect(status()?.pending).toBe(1);
    await service.stop();
  });

  it('shows FED_002 for a wrong password, and connects nowhere while disabled', async () => {
    const wrong = await setup({ user: 'monitor', pass: 'wrong' });
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
    const { fed, service, status } = await setup(DEV_USERS.monitor, true);
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
    const outbox = new Outbox(fed, main);
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
});
