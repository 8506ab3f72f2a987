/// <reference lib="dom" />
// Reading the public network page in the end-to-end tests: every number it shows, compared exactly.
import { expect, type Page } from '@playwright/test';
import type { ShownNumbers } from './network-truth.ts';

export const stat = (page: Page, label: string) => page.locator(`[data-stat="${label}"]`);

const n = (value: number) => value.toLocaleString('en-US');

/** The non-zero rows of one of the page's lists, key → count as written. */
async function listed(page: Page, list: string): Promise<Record<string, string>> {
  const rows = await page
    .locator(`[data-list="${list}"] [data-key]`)
    .evaluateAll((items) =>
      items.map((item) => [
        item.getAttribute('data-key') ?? '',
        item.querySelector('[data-count]')?.textContent,
      ]),
    );
  return Object.fromEntries(rows.filter(([, count]) => count !== '0'));
}

/** Every number of `stats` the page shows, as the page writes it, and no other row in its lists. */
export async function expectNumbers(page: Page, stats: ShownNumbers, timeout?: number): Promise<void> {
  await expect(stat(page, 'Monitors online')).toHaveText(n(stats.activeNodes), { timeout });
  await expect(stat(page, 'Nodes up today')).toHaveText(n(stats.nodesToday), { timeout });
  await expect(stat(page, 'Tasks, last hour')).toHaveText(n(stats.tasks.lastHour), { timeout });
  await expect(stat(page, 'Tasks, 24 h')).toHaveText(n(stats.tasks.last24h), { timeout });
  await expect(stat(page, 'Tasks, 7 days')).toHaveText(n(stats.tasks.last7d), { timeout });
  const { completed = 0, failed = 0 } = stats.outcomes;
  await expect(stat(page, 'Success rate')).toHaveText(
    `${((100 * completed) / (completed + failed)).toFixed(1)} %`,
    { timeout },
  );
  for (const [list, counts] of Object.entries({
    regions: stats.regions,
    versions: stats.versions,
    chains: stats.chains,
    kinds: stats.kinds,
    duration: stats.duration,
    steps: stats.steps,
    memory: stats.memory,
  })) {
    const expected = Object.fromEntries(
      Object.entries(counts as Record<string, number>)
        .filter(([, count]) => count > 0)
        .map(([key, count]) => [key, n(count)]),
    );
    await expect.poll(() => listed(page, list), { message: list, timeout }).toEqual(expected);
  }
}

/** Fails the test on any Content-Security-Policy violation or uncaught error in the page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on(
    'console',
    (m) => m.type() === 'error' && /Content Security Policy|Refused/.test(m.text()) && errors.push(m.text()),
  );
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}
