// LOG_RETENTION_DAYS, the original monitor's variable: the deployment's default retention, which the app uses
// until the operator chooses one in Settings (and then keeps the operator's).
import { expect, test } from '@playwright/test';
import { logDir, openPaired, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

let log: LogDir;
let sidecar: SidecarProcess;
test.beforeAll(async () => {
  log = await logDir(8);
  sidecar = await startFileSidecar(log, '0', { LOG_RETENTION_DAYS: '7' });
});
test.afterAll(async () => {
  await sidecar?.stop();
  log?.cleanup();
});

test("the deployment's retention until the operator chooses, then the operator's", async ({ page }) => {
  await openPaired(page, sidecar);
  await page.goto(`${sidecar.url}/settings`);
  const days = page.getByRole('spinbutton', { name: /Keep log entries for/ });
  await expect(days).toHaveValue('7');
  await expect(page.locator('#retention-help')).toContainText('the deployment’s default until you change it');
  await days.fill('45');
  await days.press('Enter');
  await days.blur();
  await page.reload();
  await expect(days).toHaveValue('45');
  await expect(page.locator('#retention-help')).not.toContainText('deployment’s default');
});
