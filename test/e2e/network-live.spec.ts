// The public network page against the real aggregator: Debian's nats-server, the aggregator as a child
// process (as `npm run aggregator` runs it), monitors' task and heartbeat messages published as `monitor`,
// the static build in Chromium as `public`. The page must show exactly what the published messages imply.
import { expect, test, type Page } from '@playwright/test';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  windowOf,
  type HeartbeatMessage,
  type StatsMessage,
  type TaskMessage,
} from '../../protocol/federation.ts';
import { DURATION, MEMORY, STEPS } from '../../protocol/buckets.ts';
import { latestSubject, SUBJECTS } from '../../protocol/subjects.ts';
import { heartbeat, hmac, publishAll, task } from '../support/federation-traffic.ts';
import type { AggregatorProcess } from '../support/aggregator-process.ts';
import { startDevAggregator } from '../support/e2e-federation.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { orError } from '../support/e2e-monitor.ts';
import { expectNumbers, watchErrors } from '../support/network-page.ts';
import { truth, type ShownNumbers } from '../support/network-truth.ts';
import { staticSite, type StaticSite } from '../support/static-site.ts';

const MINUTE = 60_000;
/** Window ages, all well inside their range so that a test running long still falls on the same side. */
const AGES = [0, 10 * MINUTE, 3 * 60 * MINUTE, 20 * 60 * MINUTE, 2 * 1440 * MINUTE, 5 * 1440 * MINUTE];
const CHAINS = ['1', '137', '8453', '11155111', '5000'];
const KINDS = ['function', 'api', 'unknown'] as const;

/** `count` distinct tasks from `first` on, mixing every field so that each count is different. */
function tasks(first: number, count: number, now: number): TaskMessage[] {
  return Array.from({ length: count }, (_, j) => {
    const i = first + j;
    return task(i, {
      key: hmac(`live task ${i}`),
      window: windowOf(now - AGES[i % AGES.length]!),
      chain: CHAINS[(i + (i >> 3)) % CHAINS.length]!,
      kind: KINDS[i % 4 === 0 ? 1 : i % 11 === 0 ? 2 : 0],
      outcome: i % 3 === 0 ? 'failed' : 'completed',
      duration: DURATION.labels[(i * 5 + (i >> 4)) % DURATION.labels.length]!,
      steps: STEPS.labels[(i * 3 + (i >> 3)) % STEPS.labels.length]!,
      memory: MEMORY.labels[(i + (i >> 2)) % MEMORY.labels.length]!,
    });
  });
}

const node = (i: number, overrides: Partial<HeartbeatMessage>) =>
  heartbeat(i, { node: hmac(`live node ${i}`), ...overrides });

/**
 * The numbers of the snapshot kept for new readers, as the page reads it (the latest-snapshot service, as
 * `public`);
 * undefined until the aggregator has stored its first one (the server answers 404 with no body).
 */
async function stored(reader: NatsConnection): Promise<ShownNumbers | undefined> {
  const reply = await reader.request(latestSubject(SUBJECTS.stats), undefined, { timeout: 5000 });
  if (reply.headers?.hasError) return undefined;
  const { v: _v, at: _at, hourly: _hourly, ...numbers } = reply.json<StatsMessage>();
  return numbers;
}

/** The charts' text alternatives: every task of the 7 days, and all the nodes heard in one hour. */
async function expectCharts(page: Page, tasks: number, nodes: number): Promise<void> {
  const chart = (name: RegExp) => page.getByRole('img', { name });
  await expect(chart(/^Tasks finished per hour/)).toHaveAccessibleName(
    new RegExp(`: ${tasks} in \\d+ hours,`),
  );
  await expect(chart(/^Nodes up per hour/)).toHaveAccessibleName(
    new RegExp(`highest ${nodes} in the hour from`),
  );
}

test.describe('the network page with the real aggregator', () => {
  let nats: NatsServer | undefined;
  let running: AggregatorProcess | undefined;
  let site: StaticSite | undefined;
  let connections: NatsConnection[] = [];
  test.afterEach(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await site?.close();
    await running?.stop();
    await nats?.close();
    connections = [];
    site = running = nats = undefined;
  });

  test('shows exactly the counts of the published messages, stored and then live', async ({ page }) => {
    test.setTimeout(300_000);
    nats = await startNatsServer();
    running = await startDevAggregator(nats);
    const monitor = await connect({ servers: nats.url, ...DEV_USERS.monitor });
    const reader = await connect({ servers: nats.url, ...DEV_USERS.public, inboxPrefix: '_INBOX_public' });
    connections = [monitor, reader];

    // Round 1: 60 tasks (8 sent twice, one from 8 days ago that must not count) and 9 nodes, one beating
    // twice at once (the second is dropped, the node counted once).
    const now = Date.now();
    const sent: TaskMessage[] = tasks(0, 60, now);
    sent.push(
      ...sent.slice(10, 18),
      task(1000, { key: hmac('too old'), window: windowOf(now - 8 * 1440 * MINUTE) }),
    );
    const beats = [
      ...[1, 2, 3, 4].map((i) => node(i, { region: 'EU', version: '2.4' })),
      node(5, { region: 'NA', version: '2.3' }),
      node(6, { region: 'NA', version: '2.3' }),
      node(7, { region: 'AS', version: '2.4' }),
      node(8, { region: undefined, version: '2.3' }),
      node(9, { region: 'EU', version: '2.5' }),
      node(1, { region: 'EU', version: '2.4' }),
    ];
    await publishAll(monitor, SUBJECTS.task, sent);
    await publishAll(monitor, SUBJECTS.heartbeat, beats);
    const first = truth(sent, beats);
    expect(first.regions).toEqual({ EU: 5, other: 4 });
    expect(first.versions).toEqual({ '2.4': 5, '2.3': 3, other: 1 });
    expect(first.tasks).toEqual({ lastHour: 20, last24h: 40, last7d: 60 });

    // Once the aggregator has stored that snapshot, it stops: the page can only read it from the stream, through
    // the latest-snapshot service (a direct get in the aggregator's account).
    await expect
      .poll(
        orError(() => stored(reader)),
        { timeout: 120_000, intervals: [250] },
      )
      .toEqual(truth(sent, beats));
    await running.stop();
    running = undefined;

    site = await staticSite({ network: { natsUrl: nats.wsUrl, user: 'public', password: 'public' } });
    const errors = watchErrors(page);
    await page.goto(`${site.url}/network`);
    await expect(page.locator('[data-network-state="live"]')).toBeVisible({ timeout: 60_000 });
    await expectNumbers(page, truth(sent, beats), 60_000);
    await expectCharts(page, first.tasks.last7d, first.activeNodes);

    // Round 2, published while no aggregator runs (kept in the work queue until one returns): 25 new tasks,
    // round 1's again (counted already), every node again, node 5 upgraded, three nodes more.
    sent.push(...tasks(60, 25, now), ...sent.slice(0, 30));
    beats.push(
      ...beats
        .slice(0, 9)
        .map((beat) => (beat.node === hmac('live node 5') ? { ...beat, version: '2.4' } : beat)),
      node(10, { region: 'NA', version: '2.4' }),
      node(11, { region: undefined, version: 'unknown' }),
      node(12, { region: undefined, version: 'unknown' }),
    );
    await publishAll(monitor, SUBJECTS.task, sent.slice(69));
    await publishAll(monitor, SUBJECTS.heartbeat, beats.slice(10));
    const second = truth(sent, beats);
    expect(second.regions).toEqual({ EU: 5, NA: 3, unknown: 3, other: 1 });
    expect(second.versions).toEqual({ '2.4': 7, other: 5 });
    expect(second.tasks.last7d).toBe(85);

    running = await startDevAggregator(nats);
    await expectNumbers(page, truth(sent, beats), 120_000);
    await expectCharts(page, second.tasks.last7d, second.activeNodes);
    await expect(page.locator('[data-stale]')).toHaveCount(0);
    // The charts were redrawn with the live numbers: they look exactly as on a page opened now.
    const fresh = await page.context().newPage();
    await fresh.goto(`${site.url}/network`);
    await expectNumbers(fresh, truth(sent, beats), 60_000);
    for (const chart of [0, 1]) {
      const canvas = (p: typeof page) => p.locator('canvas').nth(chart).screenshot();
      await expect
        .poll(async () => (await canvas(page)).equals(await canvas(fresh)), { message: `chart ${chart}` })
        .toBe(true);
    }
    await fresh.close();
    await page.screenshot({ path: test.info().outputPath('network-live.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
