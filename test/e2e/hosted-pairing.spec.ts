// The app hosted elsewhere (as at tru.watch) pairs with a sidecar the operator names over https://, such as one
// behind a TLS proxy on another machine: the app's CSP lets it, and the sidecar's CORS does for that origin.
import { expect, test } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../playwright.config.ts';
import { logDir, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import { httpsProxy, type HttpsProxy } from '../support/https-proxy.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';
import { staticSite, type StaticSite } from '../support/static-site.ts';

// A sidecar on another machine, by name: monitor.test is this machine for the browser.
const HOST = 'monitor.test';
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  },
});

let log: LogDir;
let site: StaticSite;
let sidecar: SidecarProcess;
let proxy: HttpsProxy;

test.beforeAll(async () => {
  log = await logDir(16);
  site = await staticSite({});
  sidecar = await startFileSidecar(log, '0', { ALLOWED_ORIGINS: site.url });
  proxy = await httpsProxy(sidecar.url);
});
test.afterAll(async () => {
  await proxy?.close();
  await sidecar?.stop();
  await site?.close();
  log?.cleanup();
});

test('a hosted app pairs with a sidecar named by its https:// address', async ({ browser }) => {
  // The test's CA is not the browser's: trust its certificate for this context only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
  });
  await page.goto(`${site.url}/connect`);
  await page.getByLabel('Sidecar URL').fill(proxy.url.replace('localhost', HOST));
  await page.getByLabel(/token/i).fill(sidecar.apiKey);
  await page.getByRole('button', { name: /connect|pair/i }).click();
  await expect(page.locator('[data-state="live"]')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('details.health')).toHaveAttribute('data-verdict', 'healthy');
  expect(refused).toEqual([]);
  await context.close();
});
