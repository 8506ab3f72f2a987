/// <reference lib="dom" />
// Time and lists as an operator in Los Angeles with a German browser meets them: one entry reads the same time
// on every page, with its zone, until Settings switch every page to UTC; "today" is said; the Tasks search
// finds any part of an id, its filters survive Back, an empty list says so; pausing Logs counts what arrives;
// retention refuses nonsense and prunes on its own; a backup can be imported before pairing.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { Entry } from '../../protocol/node-events.ts';
import { parseFile } from '../../sidecar/src/parse/read-log.ts';
import { logDir, openPaired, startFileSidecar, storedCounts, type LogDir } from '../support/e2e-monitor.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

const ZONE = 'America/Los_Angeles';
const LOCALE = 'de-DE';

async function entriesOf(file: string): Promise<Entry[]> {
  const all: Entry[] = [];
  await parseFile(file, (batch) => all.push(...batch));
  return all;
}

/** What the pages must show for a moment: the browser's locale's date order, the time, the zone. */
function shown(ms: number, timeZone = ZONE): string {
  return new Intl.DateTimeFormat(LOCALE, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(ms);
}

/** The `<input type="date">` value of the day a moment falls in, in a zone. */
function dateInput(ms: number, timeZone = ZONE): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(ms); // en-CA writes YYYY-MM-DD
}

function losAngeles(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ timezoneId: ZONE, locale: LOCALE, acceptDownloads: true });
}

const nav = (page: Page, name: string) => page.getByRole('link', { name, exact: true }).click();

test.describe('time and lists', () => {
  // Several pages, several reads each, on a machine shared with other tests.
  test.describe.configure({ timeout: 240_000 });
  let log: LogDir;
  let sidecar: SidecarProcess | undefined;
  test.afterEach(async () => {
    await sidecar?.stop();
    sidecar = undefined;
    log?.cleanup();
  });
  /** A sidecar reading a log of `tasks` tasks, and a browser in Los Angeles paired with it, its log stored. */
  async function openInLosAngeles(browser: Browser, tasks: number) {
    log = await logDir(tasks);
    sidecar = await startFileSidecar(log);
    const context = await losAngeles(browser);
    const page = await context.newPage();
    await openPaired(page, sidecar, log);
    return { context, page };
  }

  test('one entry reads the same local time with its zone on the dashboard, Logs and Tasks; UTC switches all', async ({
    browser,
  }) => {
    const { context, page } = await openInLosAngeles(browser, 60);
    const entries = await entriesOf(log.file);
    await expect.poll(async () => (await storedCounts(page)).entries).toBe(entries.length);

    const newest = Math.max(...entries.map((e) => Date.parse(e.ts)));
    const firstSeen = new Map<string, number>();
    for (const e of entries)
      if (e.executionId && e.kind.startsWith('task.'))
        firstSeen.set(e.executionId, Math.min(firstSeen.get(e.executionId) ?? Infinity, Date.parse(e.ts)));
    const newestTask = Math.max(...firstSeen.values());

    const tail = page.locator('ol.tail li .muted').first();
    const logsFirst = page.locator('.list .entry .muted').first();
    const tasksFirstSeen = page.locator('[role="row"][aria-rowindex="1"] [role="cell"]').nth(4);
    const check = async (timeZone: string) => {
      await nav(page, 'Dashboard');
      await expect(tail).toHaveText(shown(newest, timeZone));
      await nav(page, 'Logs');
      await expect(logsFirst).toHaveText(shown(newest, timeZone));
      await nav(page, 'Tasks');
      await expect(tasksFirstSeen).toHaveText(shown(newestTask, timeZone));
    };

    // Local time, the zone written beside it, the date in German order (06.12.2026).
    await check(ZONE);
    await expect(tasksFirstSeen).toHaveText(/^\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d GMT-[78]$/);
    await nav(page, 'Dashboard');
    await expect(page.getByTestId('today')).toHaveText(
      new RegExp(
        `^Today: ${shown(Date.now()).slice(0, 10).replaceAll('.', '\\.')}, midnight to midnight GMT-[78]$`,
      ),
    );
    await page.screenshot({ path: test.info().outputPath('dashboard-los-angeles.png'), fullPage: true });

    // The Tasks date filter takes the day as the page shows it: that day in Los Angeles, not in UTC.
    await nav(page, 'Tasks');
    const day = dateInput(newestTask);
    await page.getByLabel('From', { exact: true }).fill(day);
    await page.getByLabel('To', { exact: true }).fill(day);
    const onDay = [...firstSeen.values()].filter((ms) => dateInput(ms) === day).length;
    await expect(page.getByTestId('task-count')).toHaveText(`${onDay} tasks`);
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('');

    // Settings: UTC, for every page at once, and kept after a reload.
    await nav(page, 'Settings');
    await page.getByLabel('Show times in UTC').check();
    await check('UTC');
    await expect(tasksFirstSeen).toHaveText(/ UTC$/);
    await page.reload();
    await expect(tasksFirstSeen).toHaveText(shown(newestTask, 'UTC'));
    await nav(page, 'Dashboard');
    await expect(page.getByTestId('today')).toHaveText(/midnight to midnight UTC$/);
    await nav(page, 'Invoices');
    await expect(page.getByTestId('today')).toContainText('midnight to midnight, UTC');
    await page.screenshot({ path: test.info().outputPath('invoices-utc.png'), fullPage: true });
    await context.close();
  });

  test('Tasks: a search finds any part of an id, filters stay in the address for Back, no match says so', async ({
    browser,
  }) => {
    const { context, page } = await openInLosAngeles(browser, 60);
    const target = log.truth.executions[7]!;
    await nav(page, 'Tasks');

    // The middle of the execution id, in capitals: found.
    const part = target.executionId.slice(10, 20).toUpperCase();
    await page.getByLabel('Search', { exact: true }).fill(part);
    await expect(page.getByTestId('task-count')).toHaveText('1 tasks');
    await page.getByRole('combobox', { name: 'Status' }).selectOption(target.outcome);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${part}(&|$)`));
    await expect(page).toHaveURL(new RegExp(`[?&]status=${target.outcome}(&|$)`));
    await page.locator('[role="row"][aria-rowindex="1"] a').click();
    await expect(page).toHaveURL(new RegExp(`/tasks/${target.executionId}$`));
    await page.goBack();
    await expect(page.getByLabel('Search', { exact: true })).toHaveValue(part);
    await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue(target.outcome);
    await expect(page.getByTestId('task-count')).toHaveText('1 tasks');

    // Nothing matches: the page says so, with the filters.
    await page.getByLabel('Search', { exact: true }).fill('zz-no-such-id');
    await expect(page.getByTestId('empty')).toHaveText(
      `No tasks match status ${target.outcome}, “zz-no-such-id”.`,
    );
    await context.close();
  });

  test('Logs: pausing the tail counts the entries that arrive; its filters stay in the address', async ({
    browser,
  }) => {
    const { context, page } = await openInLosAngeles(browser, 40);
    const before = (await entriesOf(log.file)).length;
    await expect.poll(async () => (await storedCounts(page)).entries).toBe(before);
    await nav(page, 'Logs');
    await expect(page.getByTestId('entry-count')).toHaveText(`${before} entries`);
    await page.getByRole('button', { name: 'Pause live tail' }).click();
    await expect(page.getByTestId('arrived')).toHaveText('0 new entries since paused');

    log.append(4, 77);
    const after = (await entriesOf(log.file)).length;
    expect(after).toBeGreaterThan(before);
    await expect(page.getByTestId('arrived')).toHaveText(`${after - before} new entries since paused`);
    // Paused: the list did not move.
    await expect(page.getByTestId('entry-count')).toHaveText(`${before} entries`);
    await page.getByRole('button', { name: 'Resume live tail' }).click();
    await expect(page.getByTestId('entry-count')).toHaveText(`${after} entries`);
    await expect(page.getByTestId('arrived')).toHaveCount(0);

    await page.getByRole('combobox', { name: 'Kind' }).selectOption('invoice');
    await page.getByLabel('Search', { exact: true }).fill('no such text anywhere');
    await expect(page.getByTestId('empty')).toHaveText('No entries match these filters.');
    await expect(page).toHaveURL(/[?&]kind=invoice(&|$)/);
    await page.reload();
    await expect(page.getByRole('combobox', { name: 'Kind' })).toHaveValue('invoice');
    await expect(page.getByLabel('Search', { exact: true })).toHaveValue('no such text anywhere');
    await context.close();
  });

  test('retention refuses nonsense and prunes by itself when the app opens; a backup imports before pairing', async ({
    browser,
  }) => {
    log = await logDir(40);
    // Tasks from 3 days ago, written to the log after today's.
    log.append(8, 5, Date.now() - 3 * 86_400_000);
    sidecar = await startFileSidecar(log);
    const context = await losAngeles(browser);
    const page = await context.newPage();
    await openPaired(page, sidecar);
    const entries = await entriesOf(log.file);
    await expect.poll(async () => (await storedCounts(page)).entries).toBe(entries.length);

    await nav(page, 'Settings');
    const days = page.getByLabel('Keep log entries for');
    for (const bad of ['-5', '100000', '2.5']) {
      await days.fill(bad);
      await days.press('Tab');
      await expect(page.getByRole('alert')).toContainText('from 1 to 3650, or 0 to keep them all');
      await expect(days).toHaveValue('30');
    }
    expect((await storedCounts(page)).entries).toBe(entries.length);

    // A backup of everything, for the unpaired browser below.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export a full backup' }).click(),
    ]);
    // Saved: a download's own file goes with its browser context.
    const backup = test.info().outputPath('backup.json');
    await download.saveAs(backup);
    const full = await storedCounts(page);

    // Two days, set while the app was closed: opening it prunes the older entries, no "Prune now" pressed.
    await page.evaluate(() => {
      const stored = JSON.parse(localStorage.getItem('truwatch.settings') ?? '{}') as Record<string, unknown>;
      localStorage.setItem('truwatch.settings', JSON.stringify({ ...stored, retentionDays: 2 }));
    });
    await page.reload();
    const cutoff = Date.now() - 2 * 86_400_000;
    const kept = entries.filter((e) => Date.parse(e.ts) >= cutoff).length;
    expect(kept).toBeLessThan(entries.length);
    await expect.poll(async () => (await storedCounts(page)).entries).toBe(kept);
    await context.close();

    // A browser never paired lands on Connect, which imports the backup.
    const fresh = await losAngeles(browser);
    const newcomer = await fresh.newPage();
    await newcomer.goto(`${sidecar.url}/`);
    await expect(newcomer).toHaveURL(`${sidecar.url}/connect`);
    await newcomer.getByLabel('Import a backup').setInputFiles(backup);
    await expect(newcomer.locator('[data-import]')).toHaveAttribute('data-import', 'done', {
      timeout: 60_000,
    });
    expect(await storedCounts(newcomer)).toEqual(full);
    await newcomer.getByRole('link', { name: 'See the imported data on the dashboard' }).click();
    await expect(newcomer.locator('[data-stat="Received today"]')).not.toHaveText('0');
    // Still unpaired, the stored data stays browsable: a reload or another page is not sent back to Connect.
    await newcomer.reload();
    await expect(newcomer.locator('[data-stat="Received today"]')).not.toHaveText('0');
    await newcomer.goto(`${sidecar.url}/tasks`);
    await expect(newcomer).toHaveURL(`${sidecar.url}/tasks`);
    await fresh.close();
  });
});
