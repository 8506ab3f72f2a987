/// <reference lib="dom" />
// Settings' data tools as an operator uses them, the built app in Chromium against the real sidecar on a
// generated log: "Clear all data" deletes everything (federation's database too) and the whole history comes back
// by itself; a backup import goes on when the operator moves to another page, and that page says how it ended.
import { expect, test, type Page } from '@playwright/test';
import { parseFile } from '../../sidecar/src/parse/read-log.ts';
import { enableFederation, FederationStack } from '../support/e2e-federation.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../support/nats-server.ts';
import {
  logDir,
  openPaired,
  orError,
  startFileSidecar,
  storedCounts,
  type LogDir,
  type StoredCounts,
} from '../support/e2e-monitor.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

const FEDERATION_DB = 'truwatch-federation';

async function entriesIn(file: string): Promise<number> {
  let n = 0;
  await parseFile(file, (entries) => (n += entries.length));
  return n;
}

/** The names of this origin's IndexedDB databases. */
const databases = (page: Page): Promise<string[]> =>
  page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));

/**
 * Opens the paired app once it holds the whole log, exports a full backup from Settings, stops the sidecar (what
 * comes back after a clear can then only come from the backup) and clears all data. Returns the backup file and
 * the counts it holds.
 */
async function backupThenClear(
  page: Page,
  sidecar: SidecarProcess,
  log: LogDir,
): Promise<{ file: string; before: StoredCounts }> {
  await openPaired(page, sidecar, log);
  await expect.poll(async () => (await storedCounts(page)).entries).toBe(await entriesIn(log.file));
  const before = await storedCounts(page);
  // Logs' code is loaded while the sidecar (which serves it) runs.
  await page.getByRole('link', { name: 'Logs', exact: true }).click();
  await expect(page).toHaveTitle('Logs · truwatch');
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export a full backup' }).click(),
  ]);
  const file = await download.path();
  await sidecar.stop();
  await clearAllData(page);
  expect((await storedCounts(page)).entries).toBe(0);
  return { file, before };
}

/** Clears all data from Settings, accepting the confirmation; returns the question the operator was asked. */
async function clearAllData(page: Page): Promise<string> {
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  let question = '';
  page.once('dialog', (dialog) => {
    question = dialog.message();
    void dialog.accept();
  });
  await page.getByRole('button', { name: 'Clear all data' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted' })).toBeVisible();
  return question;
}

test.describe('Settings, clearing and importing', () => {
  let log: LogDir | undefined;
  test.afterEach(() => log?.cleanup());

  test('clear all data: everything is deleted, federation included, and the whole history comes back by itself', async ({
    page,
  }) => {
    log = await logDir(400);
    const sidecar = await startFileSidecar(log);
    try {
      await openPaired(page, sidecar, log);
      const total = await entriesIn(log.file);
      await expect.poll(async () => (await storedCounts(page)).entries).toBe(total);
      // Live entries flow: the connection has fresh data when the operator clears.
      const more = log.append(8, 99);
      const tasks = log.truth.executions.length + more.executions;
      await expect.poll(async () => (await storedCounts(page)).tasks).toBe(tasks);
      await expect.poll(async () => (await storedCounts(page)).entries).toBe(await entriesIn(log.file));
      const before = await storedCounts(page);
      expect(before.entries).toBeGreaterThan(4000);
      // Federation's page opens federation's database (its worker keeps a connection open).
      await page.getByRole('link', { name: 'Federation', exact: true }).click();
      await expect.poll(() => databases(page)).toContain(FEDERATION_DB);

      const question = await clearAllData(page);
      expect(await databases(page)).not.toContain(FEDERATION_DB);
      expect(question).toMatch(/sent log/);
      expect(question).toMatch(/received network feed/);
      expect(question).toMatch(/log entry, task, invoice/);
      await page.screenshot({ path: test.info().outputPath('settings-cleared.png'), fullPage: true });
      // Without a reload: the same counts as before clearing, every task with its outcome.
      await expect.poll(() => storedCounts(page), { timeout: 60_000 }).toEqual(before);
      expect(await databases(page)).not.toContain(FEDERATION_DB);

      // Cleared while the runner keeps writing: the old stream's live entries must not stand for the history.
      const again = log.append(8, 123);
      await clearAllData(page);
      const last = log.append(8, 321);
      await expect
        .poll(() => storedCounts(page, { outcomes: false }), { timeout: 60_000 })
        .toMatchObject({
          entries: await entriesIn(log.file),
          tasks: tasks + again.executions + last.executions,
          invoices: before.invoices + again.invoices + last.invoices,
        } satisfies Partial<StoredCounts>);
    } finally {
      await sidecar.stop();
    }
  });

  test('a backup import goes on when the operator moves to another page, which says when it is done', async ({
    page,
  }) => {
    log = await logDir(400);
    const sidecar = await startFileSidecar(log);
    try {
      const { file, before } = await backupThenClear(page, sidecar, log);

      await page.getByLabel('Import a backup').setInputFiles(file);
      await page.getByRole('link', { name: 'Logs', exact: true }).click();
      await expect(page).toHaveTitle('Logs · truwatch');
      const status = page.locator('[data-import]');
      await expect(status).toHaveAttribute('data-import', 'done', { timeout: 60_000 });
      await expect(status).toContainText(`${before.entries.toLocaleString('en-US')} entries`);
      await page.screenshot({ path: test.info().outputPath('import-done.png') });
      expect(await storedCounts(page)).toEqual(before);
    } finally {
      await sidecar.stop();
    }
  });
  test('a backup import cut by a reload says, on the next load, that it did not finish and stored nothing', async ({
    page,
  }) => {
    log = await logDir(1500);
    const sidecar = await startFileSidecar(log);
    try {
      const { file } = await backupThenClear(page, sidecar, log);
      // Leaving while it runs asks first (when the browser asks at all); the operator leaves anyway.
      const asked: string[] = [];
      page.on('dialog', (dialog) => {
        asked.push(dialog.type());
        void dialog.accept();
      });
      await page.getByLabel('Import a backup').setInputFiles(file);
      await expect(page.locator('[data-import]')).toHaveAttribute('data-import', /reading|writing/);
      await page.reload();
      const status = page.locator('[data-import]');
      await expect(status).toHaveAttribute('data-import', 'interrupted');
      await expect(status).toContainText('did not finish');
      await page.screenshot({ path: test.info().outputPath('import-interrupted.png') });
      expect(asked.every((type) => type === 'beforeunload')).toBe(true);
      expect(await storedCounts(page)).toMatchObject({ entries: 0, tasks: 0, invoices: 0 });
    } finally {
      await sidecar.stop();
    }
  });
});

test.describe('Settings, clearing with federation on', () => {
  let server: NatsServer | undefined;
  const stack = new FederationStack();
  test.beforeAll(async () => {
    server = stack.server = await startNatsServer();
  });
  test.afterAll(() => stack.stop());

  /** Connections the server has from the app (not the aggregator), by /connz. */
  async function appConnections(): Promise<number> {
    const connz = (await (await fetch(`${server!.monitorUrl}/connz?auth=1`)).json()) as {
      connections?: { authorized_user?: string }[];
    };
    return (connz.connections ?? []).filter((c) => c.authorized_user !== DEV_USERS.aggregator.user).length;
  }

  test('clearing stops federation at once: its connection closes and its database stays gone', async ({
    page,
  }) => {
    const { log, sidecar } = await stack.startMonitor(server!.wsUrl);
    await openPaired(page, sidecar, log);
    await enableFederation(page);
    await expect.poll(orError(appConnections)).toBe(1);
    await clearAllData(page);
    await expect.poll(orError(appConnections)).toBe(0);
    await expect.poll(() => databases(page)).not.toContain(FEDERATION_DB);
    // The monitor's history comes back; federation does not start again by itself.
    await expect.poll(async () => (await storedCounts(page)).tasks).toBe(log.truth.executions.length);
    expect(await appConnections()).toBe(0);
    expect(await databases(page)).not.toContain(FEDERATION_DB);
    // Its page says it is off (opening it makes an empty database again, as on a first visit).
    await page.getByRole('link', { name: 'Federation', exact: true }).click();
    await expect(page.getByText(/Federation is off/)).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('federation-after-clear.png') });
    expect(await appConnections()).toBe(0);
  });
});
