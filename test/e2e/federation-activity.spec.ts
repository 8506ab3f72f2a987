/// <reference lib="dom" />
// Presence from the node's history, not from a tab: the real sidecar on a log directory, the PWA in Chromium
// federating to the real nats-server, the real aggregator. The tab is closed, the log grows by two hours of tasks
// with past times, a tab is opened again: the app reports those hours (activity) and sends their tasks, and the
// aggregator shows the node up in every one of those hours and each task in its hour, exactly. A restart of the
// aggregator and a flood of the same reports change nothing.
import { expect, test, type Page } from '@playwright/test';
import { hourOf, type Hour, type StatsMessage } from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { enableFederation, FederationStack, startDevAggregator } from '../support/e2e-federation.ts';
import { openPaired, orError, waitForState } from '../support/e2e-monitor.ts';
import { getJson, monitorConnection, publishAll } from '../support/federation-traffic.ts';
import { startNatsServer } from '../support/nats-server.ts';

const HOUR_MS = 3_600_000;

const stack = new FederationStack();
test.afterAll(() => stack.stop());

/** Finished tasks per hour (completed + failed) and the hours with an entry, as the app stored them. */
function storedHours(page: Page): Promise<{ tasks: Record<string, number>; up: string[] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('truwatch');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result as T[]);
      });
    const hour = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();
    const tasks: Record<string, number> = {};
    for (const t of await all<{ status: string; finishedMs?: number }>('tasks'))
      if ((t.status === 'completed' || t.status === 'failed') && t.finishedMs !== undefined)
        tasks[hour(t.finishedMs)] = (tasks[hour(t.finishedMs)] ?? 0) + 1;
    const up = new Set<string>();
    for (const block of await all<{ entries: { tsMs: number }[] }>('blocks'))
      for (const entry of block.entries) up.add(hour(entry.tsMs));
    db.close();
    return { tasks, up: [...up].sort() };
  });
}

const iso = (hour: string) => hour.replace('.000Z', 'Z');

test('a node is up in the hours its log shows, reported when a tab opens again; tasks in their hours, exactly', async ({
  context,
}) => {
  test.setTimeout(300_000);
  const server = (stack.server = await startNatsServer());
  stack.aggregator = await startDevAggregator(server);
  const { log, sidecar } = await stack.startMonitor(server.wsUrl, { FEDERATION_TASK_HOLD_SECONDS: '0' });
  const stats = () => getJson<StatsMessage>(`${stack.aggregator!.httpUrl}/api/stats`);

  let page = await context.newPage();
  await openPaired(page, sidecar);
  await enableFederation(page);
  const first = log.truth.executions.length;
  await expect
    .poll(
      orError(async () => (await stats()).tasks.last7d),
      { timeout: 90_000 },
    )
    .toBe(first);
  await page.close();

  // No tab: the node works on. Two hours of tasks, from three hours ago to about an hour ago.
  const appended = log.append(240, 701, Date.now() - 3 * HOUR_MS);
  page = await context.newPage();
  await page.goto(`${sidecar.url}/federation`);
  await waitForState(page, 'live');
  const total = first + appended.executions;
  await expect
    .poll(
      orError(async () => (await stats()).tasks.last7d),
      { timeout: 120_000 },
    )
    .toBe(total);

  // Every hour with an entry in the app's history is an hour the node was up, once it has passed.
  const stored = await storedHours(page);
  const currentHour = hourOf(Date.now());
  const upHours = stored.up.map(iso).filter((h) => h < currentHour);
  expect(upHours.length).toBeGreaterThanOrEqual(2);
  const shown = (s: StatsMessage) => Object.fromEntries(s.hourly.map((h: Hour) => [h.hour, h]));
  await expect
    .poll(
      orError(async () => {
        const byHour = shown(await stats());
        return upHours.filter((h) => byHour[h]?.nodes !== 1);
      }),
      { timeout: 120_000 },
    )
    .toEqual([]);
  const check = async () => {
    const s = await stats();
    const byHour = shown(s);
    expect(s.tasks.last7d).toBe(total);
    for (const [hour, n] of Object.entries(stored.tasks)) {
      const h = byHour[iso(hour)];
      expect({ hour, tasks: (h?.completed ?? 0) + (h?.failed ?? 0) }).toEqual({ hour, tasks: n });
    }
    // One node: no hour shows more.
    expect(Math.max(...s.hourly.map((h) => h.nodes))).toBe(1);
    return byHour;
  };
  const before = await check();

  // Everything the app sent (its sent log), ten times over, and the aggregator restarted: nothing changes.
  const sent = await sentMessages(page);
  expect(sent.filter((m) => m.subject === SUBJECTS.activity).length).toBeGreaterThanOrEqual(upHours.length);
  const monitor = await monitorConnection(server.url);
  for (let i = 0; i < 10; i++)
    for (const subject of [SUBJECTS.task, SUBJECTS.activity])
      await publishAll(
        monitor,
        subject,
        sent.filter((m) => m.subject === subject).map((m) => m.json),
      );
  await monitor.close();
  await stack.aggregator.stop();
  stack.aggregator = await startDevAggregator(server);
  await expect
    .poll(
      orError(async () => (await stats()).tasks.last7d),
      { timeout: 60_000 },
    )
    .toBe(total);
  await expect
    .poll(
      orError(async () => JSON.stringify(await check())),
      { timeout: 60_000 },
    )
    .toBe(JSON.stringify(before));
});

/** The messages the app's sent log holds (federation's own database), as they left. */
function sentMessages(page: Page): Promise<{ subject: string; json: string }[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('truwatch-federation');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const rows = await new Promise<{ subject: string; json: string; refused?: string }[]>((resolve) => {
      const request = db.transaction('sent').objectStore('sent').getAll();
      request.onsuccess = () => resolve(request.result as { subject: string; json: string }[]);
    });
    db.close();
    return rows.filter((r) => r.refused === undefined).map(({ subject, json }) => ({ subject, json }));
  });
}
