/// <reference lib="dom" />
// Federation end to end: the real nats-server (WebSocket, the users and permissions of nats/), the real
// sidecar on a log directory serving config.json, the built PWA in Chromium. A JetStream stream made as the
// aggregator keeps everything published on the ingest subjects, so nothing is missed between reads.
import { expect, test, type Page } from '@playwright/test';
import * as v from 'valibot';
import { HeartbeatMessageSchema, TaskMessageSchema } from '../../protocol/federation.ts';
import { SUBJECTS } from '../../protocol/subjects.ts';
import { FED_ERRORS } from '../../web/src/lib/federation/codes.ts';
import { ingestReader, type IngestReader } from '../support/ingest-reader.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { FederationStack } from '../support/e2e-federation.ts';
import { openPaired, orError, storedCounts, waitForState } from '../support/e2e-monitor.ts';

let server: NatsServer;
let reader: IngestReader;
const stack = new FederationStack();

test.beforeAll(async () => {
  server = stack.server = await startNatsServer();
  reader = await ingestReader(server);
});
test.afterAll(() => stack.stop());
test.afterEach(() => stack.stopMonitor());

async function start(page: Page, env: Record<string, string> = {}) {
  const { log, sidecar } = await stack.startMonitor(server.wsUrl, env);
  await openPaired(page, sidecar, log);
  return { log, sidecar };
}

/** Connections the server has from monitor-like users (the app), by /connz. */
async function appConnections(): Promise<number> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?auth=1`)).json()) as {
    connections?: { authorized_user?: string }[];
  };
  return (connz.connections ?? []).filter((c) => c.authorized_user !== DEV_USERS.aggregator.user).length;
}

const tasks = () => reader.messages(SUBJECTS.task);
const heartbeats = () => reader.messages(SUBJECTS.heartbeat);
/** How many messages on the task subject arrived since `before`; polled past a read that fails for now. */
const tasksSince = (before: number) => orError(async () => (await tasks()).length - before);

/** Publishing may hold a task until its 5-minute window closes: what must arrive is waited for this long. */
const ARRIVES_MS = 180_000;

test('opt in with the last 7 days; each task finished in them or since arrives once, also across a nats-server restart; heartbeats', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const { log, sidecar } = await start(page);
  const before = (await tasks()).length;
  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  // The opt-in sample comes from the operator's own last task, beside what never leaves.
  await expect(page.getByTestId('sample-task')).toContainText('"outcome"');
  await expect(page.getByTestId('never-sent')).toContainText('executionId');
  await expect(page.getByRole('radio', { name: 'Share the last 7 days too' })).toBeChecked();
  await page.getByRole('button', { name: 'Enable federation' }).click();
  await expect(page.locator('[data-fed-state="CONNECTED"]')).toBeVisible();
  // The tasks the log held before the opt-in (finished in the last minutes) are shared, each once.
  const earlier = log.truth.executions.length;
  await expect.poll(tasksSince(before), { timeout: ARRIVES_MS }).toBe(earlier);

  // Tasks that finished in the last minutes (their log times), after the opt-in's first scan: each leaves
  // within FEDERATION_TASK_HOLD_SECONDS of finishing, at one of the app's random looks.
  const first = log.append(4, 501);
  await expect.poll(tasksSince(before), { timeout: ARRIVES_MS }).toBe(earlier + first.executions);
  await expect.poll(orError(async () => (await heartbeats()).length)).toBeGreaterThanOrEqual(2);

  await server.stop();
  await expect(page.locator('[data-fed-state="RECONNECTING"]')).toBeVisible();
  const stored = (await storedCounts(page)).tasks;
  const second = log.append(3, 502);
  await expect
    .poll(async () => (await storedCounts(page)).tasks, { timeout: 60_000 })
    .toBe(stored + second.executions);
  await expect(page.getByTestId('fed-counters')).toContainText(`${second.executions} waiting`);
  await server.restart();
  await expect(page.locator('[data-fed-state="CONNECTED"]')).toBeVisible({ timeout: 60_000 });
  const total = earlier + first.executions + second.executions;
  await expect.poll(tasksSince(before), { timeout: ARRIVES_MS }).toBe(total);
  // Two more heartbeats later, still each task once, every message valid.
  const beats = (await heartbeats()).length;
  await expect.poll(orError(async () => (await heartbeats()).length)).toBeGreaterThanOrEqual(beats + 2);
  const sent = (await tasks()).slice(before).map((m) => v.parse(TaskMessageSchema, JSON.parse(m)));
  expect(sent).toHaveLength(total);
  expect(new Set(sent.map((t) => t.key)).size).toBe(total);
  for (const m of await heartbeats()) v.parse(HeartbeatMessageSchema, JSON.parse(m));

  // The sidecar answers curl users with what the app reported.
  await expect
    .poll(async () => {
      const response = await fetch(`${sidecar.url}/api/federation/status`, {
        headers: { authorization: `Bearer ${sidecar.apiKey}` },
      });
      return response.json();
    })
    .toMatchObject({ enabled: true, connected: true, state: 'CONNECTED', counters: { refused: 0 } });

  // "Your contribution" counts what left today.
  await expect(page.getByTestId('contribution-tasks')).toHaveText(String(total));

  // The sent log shows every message as sent, searchable.
  await page.getByRole('link', { name: 'See every message sent' }).click();
  await page.getByRole('searchbox').fill('"outcome"');
  await expect(page.getByTestId('sent-count')).toHaveText(`${total} messages`);
  await page.screenshot({ path: test.info().outputPath('federation-sent.png'), fullPage: true });

  // The network page shows the same contribution beside the network's numbers.
  await page.getByRole('link', { name: 'Network', exact: true }).click();
  await expect(page.getByTestId('contribution-tasks')).toHaveText(String(total));
});

test('opt in from now on only: no task finished before the opt-in is sent', async ({ page }) => {
  test.setTimeout(180_000);
  const { log } = await start(page);
  const before = (await tasks()).length;
  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  await page.getByRole('radio', { name: 'From now on only' }).check();
  await page.getByRole('button', { name: 'Enable federation' }).click();
  await expect(page.locator('[data-fed-state="CONNECTED"]')).toBeVisible();
  const later = log.append(2, 504, Date.now() + 1000);
  await expect.poll(tasksSince(before), { timeout: ARRIVES_MS }).toBe(later.executions);
  // Older windows are never held longer than newer ones: two heartbeats later, still only the new tasks.
  const beats = (await heartbeats()).length;
  await expect.poll(orError(async () => (await heartbeats()).length)).toBeGreaterThanOrEqual(beats + 2);
  expect(await tasksSince(before)()).toBe(later.executions);
  await expect(page.getByTestId('fed-counters')).toContainText('0 waiting');
});

test('credentials that may not publish: FED_010 is shown, the tasks wait, nothing is sent', async ({
  page,
}) => {
  const { log } = await start(page, { FEDERATION_NATS_USER: 'public', FEDERATION_NATS_PASSWORD: 'public' });
  const before = (await tasks()).length;
  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  await page.getByRole('button', { name: 'Enable federation' }).click();
  await expect(page.locator('[data-fed-error="FED_010"]')).toContainText('Permission denied');
  await expect(page.locator('[data-fed-state="ERROR"]')).toBeVisible();
  const more = log.append(2, 503, Date.now() + 1000);
  await expect(page.getByTestId('fed-counters')).toContainText(`0 sent`);
  // The tasks of the last 7 days (the default) wait too.
  const waiting = log.truth.executions.length + more.executions;
  await expect(page.getByTestId('fed-counters')).toContainText(`${waiting} waiting`, { timeout: 60_000 });
  expect((await tasks()).length).toBe(before);
  await page.screenshot({ path: test.info().outputPath('federation-error.png'), fullPage: true });
});

test('ENABLE_FEDERATION=true connects with a banner and shares the last 7 days, from one tab of two; turned off, the server has no connection from the app', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const before = (await tasks()).length;
  const { log } = await start(page, { ENABLE_FEDERATION: 'true' });
  await expect(page.getByTestId('federation-banner')).toBeVisible();
  await expect.poll(appConnections).toBe(1);
  await expect.poll(tasksSince(before), { timeout: ARRIVES_MS }).toBe(log.truth.executions.length);
  // A second tab shows the same state, but exactly one tab runs federation (one connection).
  const second = await page.context().newPage();
  await second.goto(`${new URL(page.url()).origin}/federation`);
  await expect(second.locator('[data-fed-state="CONNECTED"]')).toBeVisible();
  await expect(second.getByText('running in another tab')).toBeVisible();
  expect(await appConnections()).toBe(1);
  await second.close();
  await page.getByTestId('federation-banner').getByRole('button', { name: 'Turn it off' }).click();
  await expect.poll(appConnections).toBe(0);
  await expect(page.getByTestId('federation-banner')).toBeHidden();
  // A reload keeps it off: the operator's choice wins over the deployment's default.
  await page.reload();
  await waitForState(page, 'live');
  await page.goto(`${new URL(page.url()).origin}/federation`);
  await expect(page.getByRole('button', { name: 'Enable federation' })).toBeVisible();
  // Turning it on again offers "from now on only" first: the time it was off is shared only if picked.
  await expect(page.getByRole('radio', { name: 'From now on only' })).toBeChecked();
  expect(await appConnections()).toBe(0);
});

test('Enabled without a URL: FED_001 is shown and reported', async ({ page }) => {
  const { sidecar } = await stack.startMonitor(undefined, { ENABLE_FEDERATION: 'true' });
  await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
  await waitForState(page, 'live');
  const banner = page.getByTestId('federation-banner');
  await expect(banner).toContainText('no federation server URL is set, so nothing is sent');
  await expect(banner.locator('[data-fed-error="FED_001"]')).toContainText(FED_ERRORS.FED_001.fix);

  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  await expect(page.locator('[data-fed-state="ERROR"]')).toBeVisible();
  const panel = page.getByRole('alert');
  await expect(panel).toContainText('FED_001');
  await expect(panel).toContainText('no federation server URL is set');
  await expect(panel).toContainText(FED_ERRORS.FED_001.fix);
  await expect(page.getByText('Federation is on')).toHaveCount(0);

  const { url, apiKey } = sidecar;
  await expect
    .poll(async () => {
      const response = await fetch(`${url}/api/federation/status`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return response.json();
    })
    .toMatchObject({
      enabled: true,
      connected: false,
      state: 'ERROR',
      counters: { lastError: expect.stringMatching(/^FED_001: no federation server URL is set/) },
    });
  await page.screenshot({ path: test.info().outputPath('federation-no-url.png'), fullPage: true });
});
