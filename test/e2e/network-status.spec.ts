// What the public network page says while it is not showing numbers, end to end: the static build in Chromium,
// pointed at a URL where nothing listens yet, then Debian's nats-server there without an aggregator, then the
// real aggregator process. Each time the page says which server it tries, what it waits for and what to do.
import { expect, test, type Page } from '@playwright/test';
import type { AggregatorProcess } from '../support/aggregator-process.ts';
import { startDevAggregator } from '../support/e2e-federation.ts';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { stat, watchErrors } from '../support/network-page.ts';
import { staticSite, type StaticSite } from '../support/static-site.ts';

const status = (page: Page) => page.locator('[data-network-state]');
const detail = (page: Page) => page.locator('[data-network-detail]');
const hint = (page: Page) => page.locator('[data-network-hint]');

test.describe('the network page says what it waits for', () => {
  let nats: NatsServer | undefined;
  let aggregator: AggregatorProcess | undefined;
  let sites: StaticSite[] = [];
  test.afterEach(async () => {
    await Promise.all(sites.map((site) => site.close()));
    await aggregator?.stop();
    await nats?.close();
    sites = [];
    nats = aggregator = undefined;
  });

  test('no server, then a server without the aggregator, then the aggregator: each said with the URL and what to do', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    nats = await startNatsServer();
    await nats.stop();
    const url = nats.wsUrl;
    const port = new URL(url).port;
    const site = await staticSite({ network: { natsUrl: url, user: 'public', password: 'public' } });
    sites.push(site);
    const errors = watchErrors(page);

    // Nothing listens there: a URL on this machine, so the command that starts the development federation on it.
    await page.goto(`${site.url}/network`);
    await expect(status(page)).toHaveAttribute('data-network-state', 'error');
    await expect(status(page)).toContainText('Not connected');
    await expect(detail(page)).toHaveText(
      `Cannot reach the network server at ${url}: the connection was refused or failed at once.`,
    );
    await expect(hint(page)).toHaveText(
      `Nothing answers there on this machine: start the development federation with NATS_WS_PORT=${port} npm run federation:dev.`,
    );
    await expect(hint(page).locator('code')).toHaveText(`NATS_WS_PORT=${port} npm run federation:dev`);
    await expect(status(page)).toContainText(/Retrying (in \d+ s|now)\./);
    await page.screenshot({ path: test.info().outputPath('network-no-server.png') });

    // The server, without an aggregator: connected, waiting for the first statistics.
    await nats.restart();
    await expect(status(page)).toHaveAttribute('data-network-waiting', 'true', { timeout: 60_000 });
    await expect(status(page)).toContainText('Waiting for data');
    await expect(detail(page)).toHaveText(
      `Connected to ${url}, but no statistics have been published yet: waiting for the aggregator's first publication (one every 10 s).`,
    );
    await expect(hint(page)).toContainText('runs the aggregator beside the server');
    await expect(status(page)).not.toContainText('Retrying');
    await expect(stat(page, 'Monitors online')).toHaveText('–');
    await page.screenshot({ path: test.info().outputPath('network-no-aggregator.png') });

    // The aggregator: its first snapshot arrives, the page is live and says nothing more.
    aggregator = await startDevAggregator(nats);
    await expect(stat(page, 'Monitors online')).toHaveText('0', { timeout: 60_000 });
    await expect(status(page)).toHaveAttribute('data-network-waiting', 'false');
    await expect(status(page)).toContainText('Live');
    await expect(detail(page)).toHaveCount(0);
    await expect(hint(page)).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test('credentials the server refuses: said, with where they come from', async ({ page }) => {
    nats = await startNatsServer();
    const site = await staticSite({ network: { natsUrl: nats.wsUrl, user: 'public', password: 'wrong' } });
    sites.push(site);
    await page.goto(`${site.url}/network`);
    await expect(status(page)).toHaveAttribute('data-network-state', 'error');
    await expect(detail(page)).toHaveText(
      `The network server at ${nats.wsUrl} refused the page’s credentials.`,
    );
    await expect(hint(page)).toContainText('VITE_NETWORK_NATS_PASSWORD');
    await expect(hint(page)).toContainText('config.json');
  });
});
