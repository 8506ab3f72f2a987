/// <reference lib="dom" />
// Earnings the operator can read: the real sidecar on a generated runner log, the built app in Chromium. The
// Invoices page's paid and unpaid counts and the node's paid and unpaid earnings equal the generator's ground truth
// (which invoices got an invoice_paid notice, what each pays the node's address); a paid invoice shows its
// transaction hash; the paid filter lives in the address and survives a reload; the CSV export carries paidAt and
// txHash; the dashboard's today / this week / this month agree with the Invoices page's day, week and month rows.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { logDir, openPaired, startFileSidecar, type LogDir } from '../support/e2e-monitor.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

const count = (n: number) => n.toLocaleString('en-US');

test.describe('earnings', () => {
  test.describe.configure({ timeout: 240_000 });
  let log: LogDir;
  let sidecar: SidecarProcess | undefined;
  test.afterEach(async () => {
    await sidecar?.stop();
    sidecar = undefined;
    log?.cleanup();
  });

  test('the Invoices page and the dashboard show paid, unpaid and earnings as the log has them', async ({
    browser,
  }) => {
    log = await logDir(160);
    const { invoices } = log.truth;
    const paid = invoices.filter((i) => i.txHash);
    const unpaid = invoices.filter((i) => !i.txHash);
    expect(paid.length).toBeGreaterThan(0);
    expect(unpaid.length).toBeGreaterThan(0);
    const earned = (list: typeof invoices) => list.reduce((a, i) => a + i.toNode, 0);

    sidecar = await startFileSidecar(log);
    // UTC: the generated log lies within today's UTC day, so every invoice is today's, this week's and month's.
    const context = await browser.newContext({ timezoneId: 'UTC', locale: 'en-US', acceptDownloads: true });
    const page = await context.newPage();
    await openPaired(page, sidecar, log);

    await page.getByRole('link', { name: 'Invoices', exact: true }).click();
    await expect(page.getByTestId('paid-count')).toHaveText(count(paid.length));
    await expect(page.getByTestId('unpaid-count')).toHaveText(count(unpaid.length));
    await expect(page.getByTestId('sum-paid')).toHaveText(count(earned(paid)));
    await expect(page.getByTestId('sum-unpaid')).toHaveText(count(earned(unpaid)));
    await expect(page.getByTestId('node-address')).toHaveText(log.truth.address);
    await expect(page.getByTestId('meaning')).toContainText('charge');

    // Today's row: all of it.
    const todayRow = page.locator('[data-testid="earnings"] tr[data-current="true"]');
    await expect(todayRow.locator('[data-col="toNodePaid"]')).toHaveText(count(earned(paid)));
    await expect(todayRow.locator('[data-col="toNodeUnpaid"]')).toHaveText(count(earned(unpaid)));

    // The chart is for the eye; its numbers are in a table: the paid column adds up to the node's paid earnings.
    await expect(page.getByRole('img', { name: 'Earnings per day' })).toBeVisible();
    await page.getByText('Earnings per day in numbers').click();
    const numbers = page.getByRole('table', { name: 'Earnings per day' });
    await expect
      .poll(async () =>
        (await numbers.locator('tbody tr td:nth-child(3)').allInnerTexts()).reduce(
          (a, b) => a + Number(b.replaceAll(',', '')),
          0,
        ),
      )
      .toBe(earned(paid));

    // One paid invoice: when, and its transaction hash.
    const one = paid.at(-1)!;
    await page.getByLabel('Search invoices').fill(one.invoiceId);
    const row = page.locator(`tr[data-invoice="${one.invoiceId}"]`);
    await expect(row.locator('td.paid')).toHaveAttribute('data-paid', 'paid');
    await expect(row.locator(`code[data-value="${one.txHash}"]`)).toBeVisible();
    await expect(row.getByRole('button', { name: `Copy transaction hash ${one.txHash}` })).toBeVisible();
    // Its charge says what the amount is made of, in the invoice's own unit.
    await expect(row.locator('td.items')).toContainText(
      /= [\d,]+ (steps|bytes .*) × [\d,]+ (stepGasPrice|byteGasPrice)/,
    );
    await page.getByLabel('Search invoices').fill('');

    // The filter: in the address, and after a reload.
    await page.getByLabel('Paid or unpaid').selectOption('unpaid');
    await expect(page.getByTestId('invoice-count')).toHaveText(`(${count(unpaid.length)})`);
    await expect(page).toHaveURL(/[?&]paid=unpaid/);
    await expect(page.locator('td.paid[data-paid="paid"]')).toHaveCount(0);
    await page.reload();
    await expect(page.getByLabel('Paid or unpaid')).toHaveValue('unpaid');
    await expect(page.getByTestId('invoice-count')).toHaveText(`(${count(unpaid.length)})`);
    await page.getByLabel('Paid or unpaid').selectOption('paid');
    await expect(page.getByTestId('invoice-count')).toHaveText(`(${count(paid.length)})`);

    // The export of the paid ones: a paidAt and the hash on every row.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toMatch(/,paidAt,txHash$/);
    expect(csv).toHaveLength(paid.length + 1);
    expect(csv.find((line) => line.startsWith(one.invoiceId))).toMatch(
      new RegExp(`,\\d{4}-\\d\\d-\\d\\dT[^,]+Z,${one.txHash}$`),
    );

    // The dashboard's summary is the Invoices page's day, week and month.
    const rows: Record<string, { total: string; paid: string; unpaid: string }> = {};
    for (const per of ['day', 'week', 'month'] as const) {
      await page.getByRole('button', { name: per, exact: true }).click();
      await expect(page.getByRole('heading', { name: `Earnings per ${per}` })).toBeVisible();
      const current = page.locator('[data-testid="earnings"] tr[data-current="true"]');
      await expect(current.locator('[data-col="toNodePaid"]')).toHaveText(count(earned(paid)));
      rows[per] = {
        total: (await current.locator('[data-col="toNode"]').textContent())!.trim(),
        paid: (await current.locator('[data-col="toNodePaid"]').textContent())!.trim(),
        unpaid: (await current.locator('[data-col="toNodeUnpaid"]').textContent())!.trim(),
      };
    }
    await expect(page).toHaveURL(/[?&]per=month/);
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    const summary = page.getByTestId('earnings-summary');
    for (const [label, per] of [
      ['Earned today', 'day'],
      ['This week', 'week'],
      ['This month', 'month'],
    ] as const) {
      const card = summary.locator('.card', { has: page.locator(`[data-stat="${label}"]`) });
      await expect(card.locator(`[data-stat="${label}"]`)).toHaveText(rows[per]!.total);
      await expect(card).toContainText(`${rows[per]!.paid} paid · ${rows[per]!.unpaid} unpaid`);
    }
    await context.close();
  });
});
