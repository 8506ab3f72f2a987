// The node's health on every page, as the sidecar judges it: the verdict first, the last entry's age beside it,
// the reasons one click away; a sidecar whose log went silent reads "degraded" with why.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { logDir, openPaired, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

let log: LogDir;
let sidecar: SidecarProcess | undefined;
test.afterEach(async () => {
  await sidecar?.stop();
  sidecar = undefined;
  log?.cleanup();
});

test('a fresh log: the node is healthy on every page, with its last entry’s age', async ({ page }) => {
  log = await logDir(16);
  sidecar = await startFileSidecar(log);
  await openPaired(page, sidecar);
  for (const path of ['/', '/tasks', '/logs', '/settings']) {
    await page.goto(`${sidecar.url}${path}`);
    const badge = page.locator('details.health');
    await expect(badge).toHaveAttribute('data-verdict', 'healthy');
    await expect(badge.locator('summary')).toContainText(/node healthy · last entry \d+ (s|min) ago/);
  }
  // The node's state comes before the browser's connection in the header.
  const order = await page
    .locator('header details.health, header .badge')
    .evaluateAll((els) => els.map((e) => (e.matches('details.health') ? 'node' : 'connection')));
  expect(order).toEqual(['node', 'connection']);
});

test('a log silent for hours: degraded, and the reasons say why and since when', async ({ page }) => {
  log = await logDir(8);
  // The last entry 4 hours ago, the only one.
  const at = new Date(Date.now() - 4 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  writeFileSync(
    join(log.logs, log.file.split('/').pop()!),
    `${at} info: @truebit/worker-runner-node:2.0.0 Using slot 1/4\n`,
  );
  sidecar = await startFileSidecar(log);
  await openPaired(page, sidecar);
  const badge = page.locator('details.health');
  await expect(badge).toHaveAttribute('data-verdict', 'degraded');
  await badge.locator('summary').click();
  await expect(badge.locator('li[data-reason="stale"]')).toContainText(
    /degraded: No log entry for 4 h .*\(since /,
  );
  await expect(badge.getByRole('region', { name: 'Node health' })).toContainText('degraded since');
});
