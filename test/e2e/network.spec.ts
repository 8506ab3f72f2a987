// The public network page end to end: the static build on a plain host, Debian's nats-server with
// nats/nats.conf, the page in Chromium as the `public` user. The test plays the aggregator's part: the
// latest-messages stream and its publications (protocol/subjects.ts); network-live.spec.ts runs the real one.
import { expect, test } from '@playwright/test';
import { startNatsServer, type NatsServer } from '../support/nats-server.ts';
import { describeSeries, hourlySeries } from '../../web/src/lib/network/derive.ts';
import { fakeAggregator, sampleFeed, sampleStats } from '../support/network-messages.ts';
import { expectNumbers, stat, watchErrors } from '../support/network-page.ts';
import { staticSite, type StaticSite } from '../support/static-site.ts';

test.describe('the network page', () => {
  let nats: NatsServer | undefined;
  let site: StaticSite | undefined;
  test.afterEach(async () => {
    await site?.close();
    await nats?.close();
    site = nats = undefined;
  });

  test('shows the stored numbers at once, then live ones and the feed, on any screen and theme', async ({
    page,
  }) => {
    nats = await startNatsServer();
    const aggregator = await fakeAggregator(nats);
    try {
      const first = sampleStats();
      await aggregator.publish('stats', first);
      site = await staticSite({ network: { natsUrl: nats.wsUrl, user: 'public', password: 'public' } });
      const errors = watchErrors(page);

      await page.goto(`${site.url}/network`);
      await expect(page).toHaveTitle('TrueBit network · truwatch');
      await expect(page.locator('[data-network-state="live"]')).toBeVisible();
      await expectNumbers(page, first);
      await expect(page.locator('[data-feed-empty]')).toBeVisible();
      await expect(
        page.getByRole('img', {
          name: /^Monitors online by continent: Europe: 14, North America: 11, Asia: 6, South America: 3, Other/,
        }),
      ).toBeVisible();

      const second = sampleStats(Date.now() + 1000, {
        activeNodes: 41,
        nodesToday: 60,
        tasks: { lastHour: 230, last24h: 4900, last7d: 31002 },
        outcomes: { completed: 4700, failed: 200 },
        regions: { EU: 16, NA: 12, AS: 7, OC: 3, other: 2, unknown: 1 },
        hourly: first.hourly.map((h, i, all) => (i === all.length - 1 ? { ...h, completed: 150 } : h)),
      });
      await aggregator.publish('stats', second);
      const feed = sampleFeed(Date.now(), 6);
      await aggregator.publish('feed', feed);
      await expectNumbers(page, second);
      await expect(page.locator('[data-feed] tbody tr')).toHaveCount(feed.tasks.length);
      await expect(page.locator('[data-feed] tbody tr').last()).toContainText('failed');
      await expect(page.locator('[data-updated]')).toContainText(/Updated \d+ s ago/);
      await expect(page.locator('canvas')).toHaveCount(2); // both charts drawn
      const series = hourlySeries(second.hourly);
      const summary = describeSeries('Tasks finished per hour over 7 days', series.x, series.finished);
      await expect(page.getByRole('img', { name: summary, exact: true })).toBeVisible();

      // A message that breaks the contract is counted and changes nothing.
      await aggregator.publish('stats', { ...second, activeNodes: 'many' });
      await expect(page.locator('[data-invalid]')).toContainText('1 invalid message was ignored');
      await expect(stat(page, 'Monitors online')).toHaveText('41');

      for (const [name, size] of [
        ['desktop', { width: 1280, height: 900 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        for (const scheme of ['light', 'dark'] as const) {
          await page.setViewportSize(size);
          await page.emulateMedia({ colorScheme: scheme });
          await expect(page.locator('canvas')).toHaveCount(2);
          await page.screenshot({
            path: test.info().outputPath(`network-${name}-${scheme}.png`),
            fullPage: true,
          });
        }
      }
      await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(11, 18, 21)');
      expect(errors).toEqual([]);
    } finally {
      await aggregator.close();
    }
  });

  test('says plainly when the server is down, then recovers by itself when it starts', async ({ page }) => {
    nats = await startNatsServer();
    const aggregator = await fakeAggregator(nats);
    // The aggregator's last snapshot is two minutes old: the page shows it, and says it is stale.
    const stats = sampleStats(Date.now() - 120_000, { activeNodes: 12 });
    await aggregator.publish('stats', stats);
    await aggregator.close();
    await nats.stop();
    site = await staticSite({ network: { natsUrl: nats.wsUrl } });

    await page.goto(`${site.url}/network`);
    const status = page.locator('[data-network-state="error"]');
    await expect(status).toContainText(`Cannot reach the network server at ${nats.wsUrl}:`);
    await expect(status).toContainText(/Retrying (in \d+ s|now)\./);
    await expect(stat(page, 'Monitors online')).toHaveText('–');
    await expect(page.locator('[data-updated]')).toHaveText('Waiting for the first numbers…');
    await page.screenshot({ path: test.info().outputPath('network-down.png') });

    await nats.restart();
    await expect(page.locator('[data-network-state="live"]')).toBeVisible({ timeout: 60_000 });
    await expectNumbers(page, stats);
    await expect(page.locator('[data-stale]')).toContainText('They may be out of date.');
    await expect(page.locator('[data-updated]')).toContainText(/Updated 2 min ago/);
    await page.screenshot({ path: test.info().outputPath('network-stale.png') });
  });
});
