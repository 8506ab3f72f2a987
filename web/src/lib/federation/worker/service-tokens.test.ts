// The federation service with anonymous tokens, end to end below the browser: the service
// (its databases in fake-indexeddb) fetches tokens from the real issuer with the real client library, and a real
// aggregator that requires tokens, on a real nats-server, counts the node and its tasks exactly. The browser's
// own run of the same is test/e2e/federation-tokens.spec.ts.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import type { StatsMessage } from '../../../../../protocol/federation.ts';
import { FederationDb } from './federation-db.ts';
import { FederationService } from './service.ts';
import type { FederationStatus } from '../status.ts';
import { PRESENCE_BATCH, TASK_BATCH } from './token-schedule.ts';
import { getJson, metricValue, waitCounted } from '../../../../../test/support/federation-traffic.ts';
import {
  startTestIssuer,
  startTokenAggregator,
  type TestIssuer,
} from '../../../../../test/support/issuer.ts';
import { freshDb, putAll, sampleEntries } from '../../../../../test/support/monitor-db.ts';
import { freePort } from '../../../../../test/support/free-port.ts';
import { blockOf } from '../../db/blocks.ts';
import { HOUR_MS } from '../../db/up-hours.ts';
import { utcDay } from './timing.ts';
import { startNatsServer, DEV_USERS, type NatsServer } from '../../../../../test/support/nats-server.ts';
import { poll } from '../../../../../test/support/poll.ts';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const TASKS = 12;

describe('federation with tokens', () => {
  let server: NatsServer;
  let issuer: TestIssuer;
  let aggregator: Awaited<ReturnType<typeof startTokenAggregator>>;
  beforeAll(async () => {
    server = await startNatsServer();
    // Every test here fetches a week's presence tokens from the same address.
    issuer = await startTestIssuer({ policy: 'dev', presenceTokensPerWeek: 1000 });
    aggregator = await startTokenAggregator(server, issuer);
  });
  afterAll(async () => {
    await aggregator?.stop();
    await issuer?.stop();
    await server?.close();
  });

  function service(
    config: FederationConfig,
    fed: FederationDb,
    main: Awaited<ReturnType<typeof freshDb>>,
    random = () => 0,
  ) {
    let status: FederationStatus | undefined;
    const made = new FederationService({
      fed,
      main,
      config: { enabled: true, ...config },
      onStatus: (s) => (status = s),
      scanGapMs: 100,
      backoff: { initialMs: 100, maxMs: 500 },
      // By default the first token round as the issuer is set; a connection's tasks after 1 s.
      random,
    });
    return { service: made, status: () => status };
  }

  it('fetches tokens at its first round, and the aggregator counts the node and every task once', async () => {
    const main = await freshDb();
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    const now = Date.now();
    await putAll(
      main,
      'tasks',
      Array.from({ length: TASKS }, (_, i) => ({
        executionId: `exec-${i}`,
        status: 'completed' as const,
        firstSeenMs: now - 120_000,
        finishedMs: now - 60_000 + i,
        chainId: '137',
      })),
    );
    const { service: app, status } = service(
      {
        natsUrl: server.wsUrl,
        user: DEV_USERS.monitor.user,
        password: DEV_USERS.monitor.pass,
        heartbeatSeconds: 1,
        taskHoldSeconds: 0,
        issuerUrl: issuer.url,
        issuerName: issuer.config.issuerName,
      },
      fed,
      main,
    );
    await app.start();
    try {
      // Before the first round the stock is empty: heartbeats go without a token, tasks wait.
      expect(status()?.tokens).toMatchObject({ presence: 0, task: 0, pinned: false });
      await poll(
        'the node and its tasks counted',
        () => getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`),
        (s) => s.activeNodes === 1 && s.tasks.last7d === TASKS,
        60_000,
      );
      // One round: the week's presence tokens and one batch of task tokens, one request each.
      const requests = issuer.exchanges.filter((e) => e.path === '/token-request' && e.status === 200);
      expect(requests).toHaveLength(PRESENCE_BATCH + TASK_BATCH);
      await poll(
        'the stock shown',
        async () => status()?.tokens,
        (t) => t?.task === TASK_BATCH - TASKS,
      );
      expect(status()?.tokens?.presence).toBe(PRESENCE_BATCH - 1);
      expect(status()?.counters.lastError).toBeNull();

      // The sent log holds every message as it left: each task with a token of its own, the heartbeats after
      // the round with the day's one presence token.
      const sent = await fed.db.getAll('sent');
      const tokenOf = (json: string) => (JSON.parse(json) as { token?: string }).token;
      const tasks = sent.filter((s) => s.kind === 'task').map((s) => tokenOf(s.json));
      expect(tasks).toHaveLength(TASKS);
      expect(new Set(tasks).size).toBe(TASKS);
      expect(tasks.every((t) => t?.length === 472)).toBe(true);
      const beats = sent.filter((s) => s.kind === 'heartbeat').map((s) => tokenOf(s.json));
      expect(beats.filter((t) => t).length).toBeGreaterThan(0);
      expect(new Set(beats.filter((t) => t)).size).toBe(1);
      // The heartbeats before the round had none, and were refused for it; none was a double spend.
      expect(await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="double_spend"}')).toBe(0);
    } finally {
      await app.stop();
    }
    // Everything it sent counted, nothing twice.
    expect(await waitCounted(aggregator.httpUrl, TASKS)).toMatchObject({
      activeNodes: 1,
      tokenBacked: true,
      tasks: { last7d: TASKS },
    });
  }, 120_000);

  const natsConfig = (): FederationConfig => ({
    natsUrl: server.wsUrl,
    user: DEV_USERS.monitor.user,
    password: DEV_USERS.monitor.pass,
    heartbeatSeconds: 1,
    taskHoldSeconds: 0,
  });

  it("sends each activity report with its day's presence token, as that day's heartbeats carry", async () => {
    const main = await freshDb();
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    // The node was up in the last closed hour and the same hour a day before: two UTC days, two pseudonyms.
    const hours = [25, 1].map((n) => (Math.floor(Date.now() / HOUR_MS) - n) * HOUR_MS);
    const template = sampleEntries()[0]!;
    await putAll(main, 'blocks', [
      blockOf(hours.map((h, i) => ({ ...template, id: `c-${i}`, tsMs: h + 60_000 }))),
    ]);
    await main.put('node', { key: 'node', runnerVersion: '2.4.0' });
    await fed.set('chosen', { enabled: true, optIn: { atMs: Date.now(), pastWeek: true } });
    // Reports wait for the stock, and are looked at again each slow round.
    const config = {
      ...natsConfig(),
      roundSeconds: 2,
      issuerUrl: issuer.url,
      issuerName: issuer.config.issuerName,
    };
    const { service: app, status } = service(config, fed, main);
    await app.start();
    try {
      // Both reports, and a heartbeat after them (it finds today's token, whatever the reports took).
      await poll(
        'both reports sent, then a heartbeat',
        async () => (await fed.db.getAll('sent')).map((s) => s.kind),
        (kinds) =>
          kinds.filter((k) => k === 'activity').length === hours.length &&
          kinds.lastIndexOf('heartbeat') > kinds.lastIndexOf('activity'),
        60_000,
      );
    } finally {
      await app.stop();
    }
    expect(status()?.counters.lastError).toBeNull();
    const sent = (await fed.db.getAll('sent')).map((s) => ({
      kind: s.kind,
      ...(JSON.parse(s.json) as { node: string; token?: string; hour?: string }),
    }));
    const reports = sent.filter((s) => s.kind === 'activity');
    const tokenOfNode = new Map<string, string | undefined>();
    for (const report of reports) {
      expect(report.token).toHaveLength(472);
      expect(tokenOfNode.get(report.node) ?? report.token, 'one token a pseudonym').toBe(report.token);
      tokenOfNode.set(report.node, report.token);
    }
    // The days' tokens differ; today's heartbeats after the round carry today's report's token.
    expect(new Set(hours.map(utcDay)).size).toBe(2);
    expect(new Set(reports.map((r) => r.token)).size).toBe(2);
    const todays = sent.filter((s) => s.kind === 'heartbeat' && s.token && tokenOfNode.has(s.node));
    expect(todays.length).toBeGreaterThan(0);
    for (const beat of todays) expect(beat.token).toBe(tokenOfNode.get(beat.node));
    // The aggregator, which requires tokens, counted the node in both hours.
    const hourNodes = (stats: StatsMessage) =>
      hours.map((h) => stats.hourly.find((x) => Date.parse(x.hour) === h)?.nodes);
    await poll(
      'the reports counted',
      () => getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`),
      (stats) => hourNodes(stats).every((n) => n === 1),
    );
    expect(await metricValue(aggregator.httpUrl, 'truwatch_rejected_total{reason="double_spend"}')).toBe(0);
  }, 120_000);

  it('says FED_011 when the issuer cannot be reached: heartbeats go without a token, tasks wait', async () => {
    const main = await freshDb();
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    const now = Date.now();
    await main.put('tasks', {
      executionId: 'exec-waiting',
      status: 'completed',
      firstSeenMs: now - 120_000,
      finishedMs: now - 60_000,
      chainId: '137',
    });
    const away = `http://127.0.0.1:${await freePort()}`;
    const { service: app, status } = service({ ...natsConfig(), issuerUrl: away }, fed, main);
    await app.start();
    try {
      await poll(
        'FED_011',
        async () => status()?.counters.lastError,
        (e) => e?.code === 'FED_011',
        30_000,
      );
      expect(status()?.counters.lastError?.message).toMatch(/tokens/);
      // A round that got nothing leaves the next one the first under this issuer (its short quarantine).
      expect((await fed.get('tokenFetch'))?.presenceWeekMs).toBeNull();
      // Tried again 10 to 30 minutes later, not at once (the round's end, just after its error, says when).
      await poll(
        'the retry planned',
        async () => status()?.tokens?.nextFetchMs ?? 0,
        (ms) => ms > Date.now() + 60_000,
      );
      expect(status()?.tokens?.nextFetchMs).toBeGreaterThanOrEqual(Date.now() + 9 * 60_000);
      expect(status()?.tokens?.nextFetchMs).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
      await poll(
        'heartbeats without a token',
        async () => (await fed.db.getAll('sent')).filter((s) => s.kind === 'heartbeat'),
        (beats) => beats.length >= 2,
      );
      const sent = await fed.db.getAll('sent');
      expect(sent.every((s) => !s.json.includes('"token"'))).toBe(true);
      expect(sent.filter((s) => s.kind === 'task')).toEqual([]);
      expect(status()?.pending).toBe(1);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('keeps the tokens a round fetched when federation is turned off in the middle of it', async () => {
    const main = await freshDb();
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    const signed = (from: number) =>
      issuer.exchanges.slice(from).filter((e) => e.path === '/token-request' && e.status === 200).length;
    const before = issuer.exchanges.length;
    const config = { ...natsConfig(), issuerUrl: issuer.url, issuerName: issuer.config.issuerName };
    const { service: app } = service(config, fed, main);
    await app.start();
    try {
      await poll(
        'some of the week fetched',
        async () => signed(before),
        (n) => n >= 5,
        30_000,
      );
      await fed.set('chosen', { enabled: false });
      await app.reload();
      // The issuer counted each one: each is kept (but one whose answer the stop cut off), stored once the
      // stopped round has unwound from the request it was in.
      const kept = await poll(
        'the tokens the issuer signed, stored',
        () => fed.db.count('tokens'),
        (n) => n >= signed(before) - 1,
        30_000,
      );
      expect(kept).toBeLessThan(14);
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('puts a round found overdue at its start off to a random moment, not right after it connects', async () => {
    const main = await freshDb();
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    const config = { ...natsConfig(), issuerUrl: issuer.url, issuerName: issuer.config.issuerName };
    const first = service(config, fed, main);
    await first.service.start();
    await poll(
      'the first round',
      async () => first.status()?.tokens?.presence,
      (n) => n === PRESENCE_BATCH,
    );
    await first.service.stop();
    // The app closed a day and more: its round is overdue when it starts again.
    const state = (await fed.get('tokenFetch'))!;
    await fed.set('tokenFetch', { ...state, nextMs: Date.now() - 86_400_000, presenceWeekMs: 0 });
    const before = issuer.exchanges.length;
    const again = service(config, fed, main, () => 0.5);
    await again.service.start();
    try {
      await poll(
        'connected',
        async () => again.status()?.state,
        (s) => s === 'CONNECTED',
      );
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(issuer.exchanges.slice(before)).toEqual([]);
      // Half of the day's period later (the random draw is 0.5).
      expect(again.status()?.tokens?.nextFetchMs).toBeGreaterThan(Date.now() + 11 * 3600_000);
    } finally {
      await again.service.stop();
    }
  }, 60_000);
});
