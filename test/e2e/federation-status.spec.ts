/// <reference lib="dom" />
// The Federation page's error box end to end (the real nats-server, the sidecar, the built PWA in Chromium): one
// box per cause however often it recurs, with its count, gone when its cause is; and a publication the server
// refuses is retried ever more slowly, not in a loop.
import { expect, test, type Page } from '@playwright/test';
import { enableFederation, FederationStack } from '../support/e2e-federation.ts';
import { openPaired } from '../support/e2e-monitor.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';

let server: NatsServer;
const stack = new FederationStack();

test.beforeAll(async () => {
  server = stack.server = await startNatsServer();
});
test.afterAll(() => stack.stop());
test.afterEach(() => stack.stopMonitor());

/** Connections, open and closed, the server had from `user`. */
async function connectionsOf(user: string): Promise<number> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?state=all&auth=1&limit=10000`)).json()) as {
    connections?: { authorized_user?: string }[];
  };
  return (connz.connections ?? []).filter((c) => c.authorized_user === user).length;
}

/** The page's counters: "… · N errors". */
async function errorCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('fed-counters').textContent()) ?? '';
  return Number(/(\d+) errors/.exec(text)?.[1]);
}

/** Seconds to the next attempt, as the page says it (undefined when it says none). */
async function retryIn(page: Page): Promise<number | undefined> {
  const retry = page.locator('[data-fed-retry]');
  if ((await retry.count()) === 0) return undefined;
  const seconds = /in (\d+) s/.exec((await retry.textContent()) ?? '');
  return seconds ? Number(seconds[1]) : 0;
}

test('a user that may not publish: FED_010 shown once with its count, and the attempts back off', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const { log, sidecar } = await stack.startMonitor(server.wsUrl, {
    FEDERATION_NATS_USER: 'public',
    FEDERATION_NATS_PASSWORD: 'public',
  });
  await openPaired(page, sidecar, log);
  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  await page.getByRole('button', { name: 'Enable federation' }).click();
  await expect(page.locator('[data-fed-error="FED_010"]')).toContainText('Permission denied');
  await expect(page.locator('[data-fed-state="ERROR"]')).toBeVisible();

  // The wait before the next attempt doubles (1 s, 2 s, 4 s, 8 s… each between half and all of it): a wait of
  // 8 s or more comes by the fifth refused attempt. Retrying every second, it never would.
  await expect.poll(() => retryIn(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(8);
  const errors = await errorCount(page);
  const attempts = await connectionsOf('public');
  // Each attempt is refused once or twice (a heartbeat or a task, and an earlier day's activity reports on a
  // connection of their own); each refusal is one error.
  expect(attempts).toBeLessThanOrEqual(10);
  expect(errors).toBeLessThanOrEqual(attempts);
  // One box, however many times: its count is the errors counted.
  await expect(page.locator('[data-fed-error]')).toHaveCount(1);
  await expect(page.locator('[data-fed-error-count]')).toHaveAttribute(
    'data-fed-error-count',
    String(errors),
  );
  await expect(page.locator('[data-fed-error]')).toContainText(`${errors} times since`);
  await page.screenshot({ path: test.info().outputPath('federation-refused.png'), fullPage: true });
});

test('the FED_001 box goes once the server is back; the errors stay counted', async ({ page }) => {
  test.setTimeout(180_000);
  const { log, sidecar } = await stack.startMonitor(server.wsUrl);
  await openPaired(page, sidecar, log);
  await enableFederation(page);
  await server.stop();
  try {
    await expect(page.locator('[data-fed-state="RECONNECTING"]')).toBeVisible();
    await expect(page.locator('[data-fed-error="FED_001"]')).toBeVisible();
    await expect(page.locator('[data-fed-retry]')).toContainText(/next attempt (in \d+ s|now)/);
  } finally {
    await server.restart();
  }
  await expect(page.locator('[data-fed-state="CONNECTED"]')).toBeVisible({ timeout: 90_000 });
  await expect(page.locator('[data-fed-error]')).toHaveCount(0);
  await expect(page.locator('[data-fed-retry]')).toHaveCount(0);
  expect(await errorCount(page)).toBeGreaterThanOrEqual(1);
});
