/// <reference lib="dom" />
// One node watched from two browsers (two browser profiles, both paired with one real sidecar, both federating
// to the real nats-server and counted by the real aggregator): the sidecar keeps the node's secret, so both
// publish every task under the same key and heartbeat under the same pseudonym, and the aggregator counts each
// task once and one node. "Reset identity" in one browser changes the pseudonym in both: the other asks the
// sidecar again on its slow round (FEDERATION_ROUND_SECONDS=2 here, 60 s by default).
import { createHmac } from 'node:crypto';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { StatsMessage } from '../../protocol/federation.ts';
import { enableFederation, FederationStack, startDevAggregator } from '../support/e2e-federation.ts';
import { openPaired, orError, type LogDir } from '../support/e2e-monitor.ts';
import { getJson, metricValue } from '../support/federation-traffic.ts';
import { startNatsServer } from '../support/nats-server.ts';
import type { SidecarProcess } from '../support/sidecar-process.ts';

const stack = new FederationStack();
const contexts: BrowserContext[] = [];

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  await stack.stop();
});

/** A new browser profile paired with the sidecar, with federation enabled and connected. */
async function federatingBrowser(browser: Browser, sidecar: SidecarProcess, log: LogDir): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await openPaired(page, sidecar, log);
  // The default: the log's earlier tasks (the last 7 days) are shared too.
  await enableFederation(page);
  return page;
}

/** The pseudonym the Federation page shows. */
async function shownPseudonym(page: Page): Promise<string | undefined> {
  const text = await page.getByText("Today's pseudonym:").textContent();
  return /\b[0-9a-f]{32}\b/.exec(text ?? '')?.[0];
}

/** Today's pseudonym under the secret the sidecar hands out now, as the app computes it (identity.ts). */
async function nodePseudonym(sidecar: SidecarProcess): Promise<string> {
  const response = await fetch(`${sidecar.url}/api/federation/identity`, {
    headers: { authorization: `Bearer ${sidecar.apiKey}` },
  });
  const { secret } = (await response.json()) as { secret: string };
  return createHmac('sha256', Buffer.from(secret, 'base64url'))
    .update(`node:${new Date().toISOString().slice(0, 10)}`)
    .digest('hex')
    .slice(0, 32);
}

test("two browsers of one node count each task once and one node; a reset in one changes both's pseudonym", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const server = (stack.server = await startNatsServer());
  const aggregator = (stack.aggregator = await startDevAggregator(server));
  const { log, sidecar } = await stack.startMonitor(server.wsUrl);
  const pages = [
    await federatingBrowser(browser, sidecar, log),
    await federatingBrowser(browser, sidecar, log),
  ];
  const first = await nodePseudonym(sidecar);
  for (const page of pages) await expect.poll(() => shownPseudonym(page)).toBe(first);

  const stats = () => getJson<StatsMessage>(`${aggregator.httpUrl}/api/stats`);
  const duplicates = () => metricValue(aggregator.httpUrl, 'truwatch_duplicates_total');
  // Tasks that finished in the last minutes (due at once): with the log's earlier ones, all shared.
  const sent = log.truth.executions.length + log.append(4, 701).executions;
  // Both browsers sent every task (the second copy of each is a duplicate), and each counts once.
  for (const page of pages)
    await expect(page.getByTestId('contribution-tasks')).toHaveText(String(sent), { timeout: 120_000 });
  await expect.poll(orError(duplicates), { timeout: 120_000 }).toBe(sent);
  await expect.poll(orError(async () => (await stats()).tasks.last7d)).toBe(sent);
  await expect.poll(orError(async () => (await stats()).activeNodes)).toBe(1);

  // "Reset identity" in one browser: the sidecar makes a new secret, and the other browser follows.
  pages[0]!.once('dialog', (dialog) => void dialog.accept());
  await pages[0]!.getByRole('button', { name: 'Reset identity' }).click();
  await expect(pages[0]!.getByText('A new identity was made.')).toBeVisible();
  const second = await nodePseudonym(sidecar);
  expect(second).not.toBe(first);
  for (const page of pages) await expect.poll(() => shownPseudonym(page)).toBe(second);

  // Under the new secret too, both send every task and each counts once.
  const more = log.append(3, 702).executions;
  await expect.poll(orError(duplicates), { timeout: 120_000 }).toBe(sent + more);
  await expect.poll(orError(async () => (await stats()).tasks.last7d)).toBe(sent + more);
});
