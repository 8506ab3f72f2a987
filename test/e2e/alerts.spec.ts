// Alerts end to end: the real sidecar alerts a real webhook when its node's verdict changes, with no tab open;
// the app's Alerts page lists what was sent and how each channel is doing; a tab kept open with browser
// notifications on is notified of the same verdicts (Chromium's Notification, watched by a spy around it).
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Alert } from '../../protocol/alerts.ts';
import { logDir, openPaired, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import { startReceiver, type HttpReceiver } from '../support/http-receiver.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

let log: LogDir | undefined;
let sidecar: SidecarProcess | undefined;
let receiver: HttpReceiver | undefined;
test.afterEach(async () => {
  await sidecar?.stop();
  await receiver?.close();
  log?.cleanup();
  sidecar = receiver = log = undefined;
});

/** A runner's log line at `ms` (its own format: local time without a zone, read as UTC). */
const line = (ms: number) =>
  `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} info: @truebit/worker-runner-node:2.0.0 Using slot 1/4\n`;

declare global {
  interface Window {
    notified: { title: string; body: string | undefined }[];
  }
}

test('a silent log is alerted with no tab open, listed on the Alerts page, and its recovery notified in the open tab', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  receiver = await startReceiver();
  const alerts = () => receiver!.requests.map((r) => JSON.parse(r.body) as Alert);
  log = await logDir(1);
  const file = join(log.logs, log.file.split('/').pop()!);
  // The only entry 10 minutes old: stale (2 minutes here), so the node is degraded once the log is read.
  writeFileSync(file, line(Date.now() - 10 * 60_000));
  sidecar = await startFileSidecar(log, '0', {
    NOTIFY_URLS: `json://${receiver.origin.slice('http://'.length)}/hook`,
    NOTIFY_NODE_NAME: 'rack-7',
    NOTIFY_HOLD_SECONDS: '0',
    NOTIFY_COOLDOWN_MINUTES: '0',
    HEALTH_STALE_MINUTES: '2',
  });

  // No tab is open: the sidecar alerts on its own.
  await expect.poll(alerts, { timeout: 60_000 }).toHaveLength(1);
  expect(alerts()[0]).toMatchObject({
    node: 'rack-7',
    verdict: 'degraded',
    previous: 'healthy',
    title: 'rack-7 is degraded',
    reasons: [expect.objectContaining({ code: 'stale' })],
  });

  const context = await browser.newContext();
  await context.grantPermissions(['notifications']);
  await context.addInitScript(() => {
    window.notified = [];
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title: string, options?: NotificationOptions) {
        window.notified.push({ title, body: options?.body });
        super(title, options);
      }
    };
  });
  const page = await context.newPage();
  await openPaired(page, sidecar);
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('button', { name: 'Turn alerts on' }).click();
  await expect(page.getByRole('button', { name: 'Turn alerts off' })).toBeVisible();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  const channel = page.locator('tr[data-channel="json"]');
  await expect(channel).toContainText(`json://${receiver.origin.slice('http://'.length)}`);
  await expect(channel).toContainText('ok');
  const row = page.locator('tr[data-verdict="degraded"]');
  await expect(row).toContainText('rack-7 is degraded');
  await expect(row).toContainText(/No log entry for \d+ min/);
  await expect(row).toContainText(/json:\/\/127\.0\.0\.1:\d+: sent/);
  // The first verdict this browser saw was recorded, not notified: the page shows it.
  expect(await page.evaluate(() => window.notified)).toEqual([]);

  // The runner writes again: the sidecar alerts the recovery, and the open tab notifies it.
  appendFileSync(file, line(Date.now()));
  await expect.poll(alerts, { timeout: 60_000 }).toHaveLength(2);
  expect(alerts()[1]).toMatchObject({ verdict: 'healthy', previous: 'degraded', title: 'rack-7 recovered' });
  await expect
    .poll(() => page.evaluate(() => window.notified), { timeout: 60_000 })
    .toEqual([{ title: 'Node recovered', body: 'Healthy again after being degraded.' }]);
  await page.reload();
  await expect(page.locator('tr[data-verdict="healthy"]')).toContainText('rack-7 recovered');
  await page.screenshot({ path: test.info().outputPath('alerts.png'), fullPage: true });
  // Reloaded, the tab notifies nothing again.
  await expect(page.locator('details.health')).toHaveAttribute('data-verdict', 'healthy');
  expect(await page.evaluate(() => window.notified)).toEqual([]);
  await context.close();
});

test('with no channel the Alerts page says what to set, and the sidecar connects nowhere', async ({
  page,
}) => {
  log = await logDir(8);
  sidecar = await startFileSidecar(log);
  await openPaired(page, sidecar);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
  await expect(page.getByTestId('no-channels')).toContainText('NOTIFY_URLS');
  await expect(page.getByText('No alert yet')).toBeVisible();
});
