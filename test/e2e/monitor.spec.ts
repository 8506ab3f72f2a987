/// <reference lib="dom" />
// The operator's monitor end to end: the real sidecar on a runner log directory, the built PWA in Chromium.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { Entry } from '../../protocol/node-events.ts';
import { parseFile } from '../../sidecar/src/parse/read-log.ts';
import { logDir, startFileSidecar, storedCounts, waitForState, type LogDir } from '../support/e2e-monitor.ts';

async function entriesIn(file: string): Promise<number> {
  let n = 0;
  await parseFile(file, (entries) => (n += entries.length));
  return n;
}

async function firstEntry(file: string): Promise<Entry> {
  let first: Entry | undefined;
  await parseFile(file, (entries) => (first ??= entries[0]));
  return first!;
}

/** Waits until the browser stored exactly what the log holds: its entries, tasks, invoices and outcomes. */
async function expectStoredLog(page: Page, log: LogDir): Promise<number> {
  const entries = await entriesIn(log.file);
  const outcome = (o: string) => log.truth.executions.filter((e) => e.outcome === o).length;
  await expect
    .poll(() => storedCounts(page))
    .toEqual({
      entries,
      tasks: log.truth.executions.length,
      invoices: log.truth.invoices.length,
      completed: outcome('completed'),
      failed: outcome('failed'),
    });
  return entries;
}

test.describe('the monitor', () => {
  let log: LogDir;
  test.afterEach(() => log?.cleanup());

  test('pairs from the link, backfills the log, then shows live entries, and renders every page', async ({
    page,
  }) => {
    log = await logDir(160);
    const sidecar = await startFileSidecar(log);
    try {
      await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
      await expect(page).toHaveURL(`${sidecar.url}/`); // the token left the address bar
      await waitForState(page, 'live');
      await expectStoredLog(page, log);
      // The dashboard says what the log implies (every task of the log is from today, UTC).
      const outcomes = (o: string) => String(log.truth.executions.filter((e) => e.outcome === o).length);
      await expect(page.locator('[data-stat="Received today"]')).toHaveText(
        String(log.truth.executions.length),
      );
      await expect(page.locator('[data-stat="Completed today"]')).toHaveText(outcomes('completed'));
      await expect(page.locator('[data-stat="Failed today"]')).toHaveText(outcomes('failed'));
      await expect(page.locator('[data-stat="Invoices today"]')).toHaveText(
        String(log.truth.invoices.length),
      );
      await page.screenshot({ path: test.info().outputPath('dashboard.png'), fullPage: true });
      // One figure per fact: the card's steps are the Invoices page's steps billed for the day, and the Logs
      // filter of failures finds the entry that failed each failed task.
      const billed = page.locator('[data-stat="Invoices today"] + .detail');
      await expect(billed).toHaveText(/^[\d.]+ \S* ?steps billed$/);
      const steps = (await billed.innerText()).replace(' steps billed', '');
      await page.getByRole('link', { name: 'Invoices', exact: true }).click();
      await expect(page.getByTestId('earnings').locator('tbody tr').first().locator('td').nth(2)).toHaveText(
        steps,
      );
      await page.getByRole('link', { name: 'Logs', exact: true }).click();
      await page.getByTestId('outcome-filter').selectOption('failed');
      await expect(page.getByTestId('entry-count')).toHaveText(`${outcomes('failed')} entries`);
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.setViewportSize({ width: 390, height: 844 }); // a phone, in the dark theme
      await page.emulateMedia({ colorScheme: 'dark' });
      await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(11, 18, 21)');
      await expect(page.locator('[data-stat="Received today"]')).toBeVisible();
      await page.screenshot({ path: test.info().outputPath('dashboard-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: 'light' });

      // Live: the runner writes more; the new tasks show up.
      const more = log.append(8, 99);
      await expect
        .poll(async () => (await storedCounts(page)).tasks)
        .toBe(log.truth.executions.length + more.executions);

      await page.getByRole('link', { name: 'Tasks', exact: true }).click();
      await expect(page.getByTestId('task-count')).toHaveText(
        `${(log.truth.executions.length + more.executions).toLocaleString('en-US')} tasks`,
      );
      await page.screenshot({ path: test.info().outputPath('tasks.png') });
      // The export holds every task: a header and one CSV row each.
      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const rows = readFileSync(await csv.path(), 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(rows[0]).toMatch(/^executionId,/);
      expect(rows).toHaveLength(log.truth.executions.length + more.executions + 1);
      await page.locator('a.mono').first().click();
      await expect(page.getByRole('heading', { name: 'Metrics' })).toBeVisible();
      await page.screenshot({ path: test.info().outputPath('task.png'), fullPage: true });
      for (const name of ['Invoices', 'Logs', 'Settings']) {
        await page.getByRole('link', { name, exact: true }).click();
        await expect(page).toHaveTitle(`${name} · truwatch`);
        await page.screenshot({ path: test.info().outputPath(`${name.toLowerCase()}.png`) });
      }
      // The Logs page's last rows, many pages down the virtual list: the log's first entry, read and shown.
      await page.getByRole('link', { name: 'Logs', exact: true }).click();
      const first = await firstEntry(log.file);
      const list = page.locator('.list > div').first();
      await expect(page.locator('.list .entry .msg').first()).toBeVisible();
      const oldest = page.locator('.list .entry .msg').getByText(first.message, { exact: true });
      // The list learns its rows' heights as they render: scroll to its end until the end stays put.
      await expect(async () => {
        await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await expect(oldest).toBeVisible({ timeout: 1000 });
      }).toPass();
      await page.screenshot({ path: test.info().outputPath('logs-end.png') });
    } finally {
      await sidecar.stop();
    }
  });

  test('a sidecar killed in the middle of a backfill and started again: nothing missing, nothing twice', async ({
    page,
  }) => {
    log = await logDir(2400);
    let sidecar = await startFileSidecar(log);
    const port = new URL(sidecar.url).port;
    await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
    await expect
      .poll(async () => (await storedCounts(page)).entries, { timeout: 30_000 })
      .toBeGreaterThan(2000);
    await sidecar.stop('SIGKILL');
    await waitForState(page, 'unreachable');
    const during = await storedCounts(page);
    sidecar = await startFileSidecar(log, port);
    try {
      await waitForState(page, 'live', 90_000);
      const expected = await expectStoredLog(page, log);
      expect(during.entries).toBeLessThan(expected);
    } finally {
      await sidecar.stop();
    }
  });

  test('works offline from what it stored, and one tab of two ingests', async ({ page, context }) => {
    log = await logDir(40);
    const sidecar = await startFileSidecar(log);
    try {
      // A first visit on a deep link pairs too, and registers the service worker for the whole app.
      await page.goto(`${sidecar.url}/tasks/no-such-execution#token=${sidecar.apiKey}`);
      await waitForState(page, 'live');
      const stored = await storedCounts(page);
      expect(stored.tasks).toBe(log.truth.executions.length);

      const second = await context.newPage();
      await second.goto(`${sidecar.url}/tasks`);
      await expect(second.getByTestId('task-count')).toHaveText(`${stored.tasks} tasks`);
      const held = await second.evaluate(async () =>
        (await navigator.locks.query()).held?.map((l) => l.name),
      );
      expect(held?.filter((name) => name === 'truwatch-ingest')).toHaveLength(1);
      await second.close();

      // The service worker serves the app shell; the data comes from IndexedDB.
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
      expect(scope).toBe(`${sidecar.url}/`);
      await sidecar.stop();
      await context.setOffline(true);
      await page.goto(`${sidecar.url}/tasks`);
      await expect(page.getByTestId('task-count')).toHaveText(`${stored.tasks} tasks`);
      await context.setOffline(false);
    } finally {
      await sidecar.stop();
    }
  });
});
