// The federation service against a real nats-server (WebSocket, the users and permissions of nats/), with
// the monitor's database and federation's own in fake-indexeddb.
import 'fake-indexeddb/auto';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import { TaskMessageSchema, HeartbeatMessageSchema } from '../../../../../protocol/federation.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import * as v from 'valibot';
import { ingestReader, type IngestReader } from '../../../../../test/support/ingest-reader.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../../../../../test/support/nats-server.ts';
import { announceChange } from '../../db/changes.ts';
import type { TaskRecord } from '../../db/schema.ts';
import { freshDb, putAll } from '../../../../../test/support/monitor-db.ts';
import { FederationService } from './service.ts';
import type { FederationStatus } from '../status.ts';
import { FederationDb } from './federation-db.ts';
import { sidecarReport } from './sidecar-report.ts';

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

async function setup(
  credentials: { user: string; pass: string } = DEV_USERS.monitor,
  receive = false,
  roundMs?: number,
  config: FederationConfig = {
    natsUrl: server.wsUrl,
    user: credentials.user,
    password: credentials.pass,
    heartbeatSeconds: 1,
    receive,
  },
) {
  const main = await freshDb();
  const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
  let status: FederationStatus | undefined;
  const service = new FederationService({
    fed,
    main,
    config,
    onStatus: (s) => (status = s),
    scanGapMs: 100,
    ...(roundMs !== undefined && { roundMs }),
    backoff: { initialMs: 100, maxMs: 500 },
  });
  return { main, fed, service, status: () => status };
}

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

  it('enabled without a server URL: ERROR with FED_001, also in the report to the sidecar', async () => {
    const { fed, service, status } = await setup(undefined, undefined, undefined, { enabled: true });
    await service.start();
    expect(status()?.state).toBe('ERROR');
    expect(status()?.counters.lastError).toMatchObject({
      code: 'FED_001',
      message: 'no federation server URL is set',
    });
    await fed.set('chosen', { region: 'EU' });
    await service.reload();
    expect(sidecarReport(status()!)).toMatchObject({
      enabled: true,
      connected: false,
      state: 'ERROR',
      stats: { lastError: 'FED_001: no federation server URL is set' },
    });
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
});
