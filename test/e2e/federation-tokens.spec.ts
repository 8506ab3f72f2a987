/// <reference lib="dom" />
// Federation with anonymous tokens, end to end (docs/TRUST.md, issue 15): the real nats-server, the real issuer
// (dev policy, in this process on a free port, every exchange recorded), the real aggregator process requiring
// tokens (TOKEN_KEYS = the issuer's keys file), the real sidecar on a generated runner log, the built PWA in
// Debian's Chromium. The node fetches its tokens from the issuer and is counted exactly. Then the forged flood of
// the issue, sent with the public monitor credentials and shaped as the node's own messages (5 000 heartbeats
// under random pseudonyms, 1 000 tasks): without tokens, with junk, with the node's tokens stolen from its sent
// log and replayed on other pseudonyms, tasks and kinds, and the node's own messages replayed as they left.
// No figure changes, and every refusal is counted by its reason in /metrics.
//
// FEDERATION_TOKEN_ROUND_SECONDS=30 brings the app's first token round within 5 s of the opt-in (a tenth of the
// period, token-schedule.ts, read on a 2 s clock) and its quarantine to a fraction of a second. Until the round, heartbeats leave
// without a token (refused as `missing`) and tasks wait.
import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import type { HeartbeatMessage, StatsMessage, TaskMessage } from '../../protocol/federation.ts';
import { decodeTokenText } from '../../protocol/private-token.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { keysFileOf } from '../../aggregator/src/issuer/keys-file.ts';
import { TOKEN_REFUSALS, type TokenRefusal } from '../../aggregator/src/tokens/token-refusals.ts';
import { PRESENCE_BATCH, TASK_BATCH } from '../../web/src/lib/federation/worker/token-schedule.ts';
import { startAggregatorProcess } from '../support/aggregator-process.ts';
import { enableFederation, FederationStack, QUICK_STATS } from '../support/e2e-federation.ts';
import { openPaired, orError } from '../support/e2e-monitor.ts';
import {
  getJson,
  hmac,
  metricValue,
  monitorConnection,
  publishAll,
  waitBacklogEmpty,
} from '../support/federation-traffic.ts';
import { startTestIssuer, type TestIssuer } from '../support/issuer.ts';
import { DEV_USERS, startNatsServer } from '../support/nats-server.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The node's tasks: two 4-minute blocks of the generated log, ending about now. */
const TASKS = 16;
/**
 * The first token round, 214 tokens blinded in Chromium (about 10 s, 25 s on a loaded machine), the tasks'
 * release: well under a minute, bounded generously.
 */
const COUNTED_MS = 180_000;
/** From the flood's start to its last check; no hour boundary may fall in it (the stats' `hourly` moves on). */
const FLOOD_MS = 120_000;

const stack = new FederationStack();
let issuer: TestIssuer | undefined;
test.afterAll(async () => {
  await stack.stop();
  await issuer?.stop();
});

/** Sleeps until `ms` (epoch) when it is ahead. */
const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));

/** The stats without the moment they were computed: what must not change. */
async function figures(httpUrl: string): Promise<Omit<StatsMessage, 'at'>> {
  const { at: _at, ...rest } = await getJson<StatsMessage>(`${httpUrl}/api/stats`);
  return rest;
}

/** The stats once they stay the same over 4 s (longer than the node's heartbeat and activity periods). */
async function steadyFigures(httpUrl: string): Promise<Omit<StatsMessage, 'at'>> {
  let previous = '';
  for (let read = 0; read < 15; read++) {
    const now = JSON.stringify(await figures(httpUrl));
    if (now === previous) return JSON.parse(now) as Omit<StatsMessage, 'at'>;
    previous = now;
    await new Promise((resolve) => setTimeout(resolve, 4000));
  }
  throw new Error(`the stats kept changing for a minute; the last: ${previous}`);
}

async function refusals(httpUrl: string): Promise<Record<TokenRefusal, number>> {
  const entries = await Promise.all(
    TOKEN_REFUSALS.map(
      async (r) => [r, await metricValue(httpUrl, `truwatch_rejected_total{reason="${r}"}`)] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<TokenRefusal, number>;
}

interface SentRow {
  subject: string;
  json: string;
  refused?: string;
}

/** What the app's sent log holds (federation's database), as each message left. */
function sentLog(page: Page): Promise<SentRow[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('truwatch-federation');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const rows = await new Promise<SentRow[]>((resolve, reject) => {
      const request = db.transaction('sent').objectStore('sent').getAll();
      request.onsuccess = () => resolve(request.result as SentRow[]);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return rows.map(({ subject, json, refused }) => ({ subject, json, ...(refused ? { refused } : {}) }));
  });
}

/** A token-sized string that is no token. */
const junk = () => randomBytes(354).toString('base64url');
/** A pseudonym or task key nobody has. */
const invented = () => hmac(randomBytes(16).toString('hex'));

test('a node in Chromium federates with tokens and is counted exactly; a forged flood with stolen and replayed tokens changes no figure', async ({
  page,
}) => {
  // The run must not cross a UTC midnight (a new pseudonym, a second node for 180 s; and the flood, below, may
  // wait for the end of an hour): started in the last 12 minutes of a day, it waits for the next. Just after
  // midnight the generated log, which stays within today, ends up to 9 minutes ahead, and its tasks leave only
  // once they finished.
  const dayMs = Date.now() % DAY;
  const waitMs = dayMs > DAY - 12 * MINUTE ? DAY - dayMs + 30_000 : 0;
  const aheadMs = (dayMs + waitMs) % DAY < 10 * MINUTE ? 10 * MINUTE : 0;
  test.setTimeout(waitMs + aheadMs + COUNTED_MS + 2 * FLOOD_MS + 120_000);
  await until(Date.now() + waitMs);
  const started = Date.now();

  const server = (stack.server = await startNatsServer());
  issuer = await startTestIssuer({ policy: 'dev', issuerName: 'localhost' });
  stack.aggregator = await startAggregatorProcess({
    NATS_URL: server.url,
    NATS_USER: DEV_USERS.aggregator.user,
    NATS_PASSWORD: DEV_USERS.aggregator.pass,
    TOKEN_KEYS: keysFileOf(issuer.config.dataDir),
    ISSUER_NAME: issuer.config.issuerName,
    SPENT_MAX_TOKENS: '100000',
    ...QUICK_STATS,
  });
  const { httpUrl } = stack.aggregator;
  // As federation:dev tells a sidecar: the issuer by the name `localhost`, which the app takes from the URL.
  const { log, sidecar } = await stack.startMonitor(
    server.wsUrl,
    {
      FEDERATION_ISSUER_URL: `http://localhost:${issuer.config.httpPort}`,
      // The first round within 5 s; one every 30 s after it, which fetches nothing more (the stock covers the
      // node's tasks).
      FEDERATION_TOKEN_ROUND_SECONDS: '30',
    },
    TASKS,
  );
  await openPaired(page, sidecar, log);
  await enableFederation(page);
  const enabled = Date.now();
  const shared = log.truth.executions.length;

  // Counted exactly: one node, every task it finished (the last 7 days are shared by default), token-backed.
  await expect
    .poll(
      orError(async () => {
        const s = await figures(httpUrl);
        return { nodes: s.activeNodes, today: s.nodesToday, tasks: s.tasks.last7d, backed: s.tokenBacked };
      }),
      { timeout: COUNTED_MS + aheadMs, intervals: [500] },
    )
    .toEqual({ nodes: 1, today: 1, tasks: shared, backed: true });
  const counted = Date.now();
  await waitBacklogEmpty(httpUrl, counted);

  // The issuer served them: one round, the week's presence tokens and one batch of task tokens, one request a
  // token, each a blinded message it signed (beside the browser's CORS preflight, an OPTIONS request).
  const requests = issuer.exchanges.filter((e) => e.path === '/token-request' && e.method === 'POST');
  expect(requests.map((e) => e.status).filter((s) => s !== 200)).toEqual([]);
  expect(requests).toHaveLength(PRESENCE_BATCH + TASK_BATCH);
  expect(issuer.exchanges.some((e) => e.path.endsWith('private-token-issuer-directory'))).toBe(true);

  // The sent log: each task with a token of its own, the day's heartbeats with its one presence token (those
  // before the round had none, and were refused for it).
  const sent = (await sentLog(page)).filter((row) => row.refused === undefined);
  const sentTasks = sent
    .filter((r) => r.subject === SUBJECTS.task)
    .map((r) => JSON.parse(r.json) as TaskMessage);
  const beats = sent
    .filter((r) => r.subject === SUBJECTS.heartbeat)
    .map((r) => JSON.parse(r.json) as HeartbeatMessage);
  expect(sentTasks).toHaveLength(shared);
  const taskTokens = sentTasks.map((t) => t.token!);
  expect(new Set(taskTokens).size).toBe(shared);
  expect(taskTokens.every((t) => t?.length === 472)).toBe(true);
  const tokened = beats.filter((b) => b.token !== undefined);
  expect(tokened.length).toBeGreaterThan(0);
  expect(new Set(tokened.map((b) => b.token)).size).toBe(1);
  // What the issuer saw and returned shares nothing with the tokens spent: no nonce, no authenticator.
  const seen = issuer.exchanges.flatMap((e) => [Buffer.from(e.request), Buffer.from(e.response)]);
  for (const token of [...taskTokens, tokened[0]!.token!]) {
    const { nonce, authenticator } = decodeTokenText(token)!;
    const parts = [Buffer.from(nonce), Buffer.from(authenticator)];
    expect(seen.some((b) => parts.some((part) => b.includes(part)))).toBe(false);
  }
  const stolenBeat = tokened.at(-1)!;
  const presenceToken = stolenBeat.token!;
  // (Refusals are counted again when a batch is read again after an error: exact only without one.)
  const honestMissing = beats.length - tokened.length;
  const missingNow = await metricValue(httpUrl, 'truwatch_rejected_total{reason="missing"}');
  if ((await metricValue(httpUrl, 'truwatch_batch_errors_total')) === 0)
    expect(missingNow).toBe(honestMissing);
  else expect(missingNow).toBeGreaterThanOrEqual(honestMissing);
  expect(await metricValue(httpUrl, 'truwatch_rejected_total{reason="double_spend"}')).toBe(0);

  // The flood must not straddle an hour (the stats' hourly series gains an hour): near one, it waits for it.
  const hourEnd = Math.ceil(Date.now() / HOUR) * HOUR;
  if (hourEnd - Date.now() < FLOOD_MS) await until(hourEnd + 5000);
  const before = await steadyFigures(httpUrl);
  const refusedBefore = await refusals(httpUrl);
  const duplicatesBefore = await metricValue(httpUrl, 'truwatch_duplicates_total');
  const batchErrorsBefore = await metricValue(httpUrl, 'truwatch_batch_errors_total');
  const floodStart = Date.now();

  // 5 000 heartbeats and 1 000 tasks, each shaped as the node's own, with the public monitor credentials.
  const beat = (token?: string): HeartbeatMessage => {
    const { token: _t, ...rest } = stolenBeat;
    return { ...rest, node: invented(), ...(token === undefined ? {} : { token }) };
  };
  const forgedTask = (i: number, token?: string): TaskMessage => {
    const { token: _t, ...rest } = sentTasks[i % shared]!;
    return { ...rest, key: invented(), ...(token === undefined ? {} : { token }) };
  };
  const n = (count: number, make: (i: number) => object | string) =>
    Array.from({ length: count }, (_, i) => make(i));
  const floodBeats = [
    ...n(1000, () => beat()),
    ...n(1000, () => beat(junk())),
    // The node's presence token, stolen from its sent log, on 1 000 other pseudonyms.
    ...n(1000, () => beat(presenceToken)),
    // Its task tokens in place of a presence token.
    ...n(1000, (i) => beat(taskTokens[i % shared])),
    // Its own heartbeat, replayed as it left (its pseudonym, its token): the same node, nothing more.
    ...n(1000, () => JSON.stringify(stolenBeat)),
  ];
  const floodTasks = [
    ...n(200, (i) => forgedTask(i)),
    ...n(200, (i) => forgedTask(i, junk())),
    // Its task tokens, stolen from the sent log, replayed on invented tasks.
    ...n(200, (i) => forgedTask(i, taskTokens[i % shared])),
    // Its presence token on tasks.
    ...n(200, (i) => forgedTask(i, presenceToken)),
    // Its own tasks, replayed as they left: dropped by their keys.
    ...n(200, (i) => JSON.stringify(sentTasks[i % shared])),
  ];
  expect([floodBeats.length, floodTasks.length]).toEqual([5000, 1000]);
  const monitor = await monitorConnection(server.url);
  try {
    await publishAll(monitor, SUBJECTS.heartbeat, floodBeats);
    await publishAll(monitor, SUBJECTS.task, floodTasks);
  } finally {
    await monitor.close();
  }
  const published = Date.now();

  const expected: Record<TokenRefusal, number> = {
    missing: 1000 + 200,
    malformed: 0,
    unknown_key: 0,
    expired_key: 0,
    // Junk fails at its type (malformed) or its challenge; a token of the other kind at its challenge.
    wrong_challenge: 1000 + 200 + 1000 + 200,
    bad_signature: 0,
    double_spend: 1000 + 200,
    store_full: 0,
    no_store: 0,
  };
  const delta = async () => {
    const now = await refusals(httpUrl);
    return Object.fromEntries(TOKEN_REFUSALS.map((r) => [r, now[r] - refusedBefore[r]])) as Record<
      TokenRefusal,
      number
    >;
  };
  const total = (r: Record<TokenRefusal, number>) => TOKEN_REFUSALS.reduce((sum, k) => sum + r[k], 0);
  await expect
    .poll(
      orError(async () => total(await delta())),
      { timeout: FLOOD_MS / 2, intervals: [500] },
    )
    .toBeGreaterThanOrEqual(total(expected));
  await expect
    .poll(
      orError(() => metricValue(httpUrl, 'truwatch_duplicates_total')),
      { timeout: FLOOD_MS / 4 },
    )
    .toBeGreaterThanOrEqual(duplicatesBefore + 200);
  await waitBacklogEmpty(httpUrl, published);

  // Refusals are counted again when a batch is read again after an error (a NATS timeout under load): exact
  // only without one.
  const got = await delta();
  const exact = (await metricValue(httpUrl, 'truwatch_batch_errors_total')) === batchErrorsBefore;
  const byReason = (r: Record<TokenRefusal, number>) => ({
    ...r,
    malformed: 0,
    wrong_challenge: r.malformed + r.wrong_challenge,
  });
  if (exact) {
    expect(byReason(got)).toEqual(byReason(expected));
    expect(await metricValue(httpUrl, 'truwatch_duplicates_total')).toBe(duplicatesBefore + 200);
  } else
    for (const reason of TOKEN_REFUSALS)
      expect(byReason(got)[reason], reason).toBeGreaterThanOrEqual(byReason(expected)[reason]);

  // Not one figure moved: the node and its tasks, exactly as before.
  expect(await steadyFigures(httpUrl)).toEqual(before);
  expect(before).toMatchObject({
    activeNodes: 1,
    nodesToday: 1,
    tokenBacked: true,
    tasks: { last7d: shared },
  });
  // The node went on through the flood: nothing it sent was refused.
  expect(
    (await sentLog(page)).filter((r) => r.refused !== undefined),
    'nothing the app sent was refused by the server',
  ).toEqual([]);
  const ended = Date.now();
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  test.info().annotations.push({
    type: 'timings',
    description:
      `first token request ${s(requests[0]!.atMs - enabled)} after the opt-in, ` +
      `${requests.length} tokens in ${s(requests.at(-1)!.atMs - requests[0]!.atMs)}, ` +
      `counted ${s(counted - enabled)} after the opt-in, ` +
      `flood checked in ${s(ended - floodStart)}, whole run ${s(ended - started)}`,
  });
  console.log(test.info().annotations.at(-1)!.description);
});
