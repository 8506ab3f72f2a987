/// <reference lib="dom" />
// The sidecar's federation API as an operator with the original monitor's docs uses it, end to end: the real
// nats-server and aggregator, the real sidecar on a log directory, the built PWA open in Chromium. Federation is
// turned on, set and turned off with `curl`-like calls (the token, no browser), and the open app follows.
import { expect, test } from '@playwright/test';
import { FederationStack, startDevAggregator } from '../support/e2e-federation.ts';
import { openPaired, orError } from '../support/e2e-monitor.ts';
import { DEV_USERS, startNatsServer, type NatsServer } from '../support/nats-server.ts';

let server: NatsServer;
const stack = new FederationStack();

test.beforeAll(async () => {
  server = stack.server = await startNatsServer();
  stack.aggregator = await startDevAggregator(server);
});
test.afterAll(() => stack.stop());
test.afterEach(() => stack.stopMonitor());

/** Connections the server has from the app (any user but the aggregator's). */
async function appConnections(): Promise<number> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz?auth=1`)).json()) as {
    connections?: { authorized_user?: string }[];
  };
  return (connz.connections ?? []).filter((c) => c.authorized_user !== DEV_USERS.aggregator.user).length;
}

interface Status {
  enabled: boolean;
  connected: boolean;
  state: string;
  nodeId: string | null;
  stats: { activeNodes: number; tasks: { last7d: number } } | null;
  counters: { sent: number; lastError: string | null };
}

test('POST /api/federation/enable turns on federation in the open app "from the command line", showing what will be sent before anything is; settings and disable follow', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // No federation server in the environment: nothing can leave until one is set through the API.
  const { log, sidecar } = await stack.startMonitor(undefined);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sidecar.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${sidecar.apiKey}`, 'content-type': 'application/json' },
    });
  const status = async () => (await (await api('/api/federation/status')).json()) as Status;
  await openPaired(page, sidecar, log);
  const banner = page.getByTestId('federation-banner');
  await expect(banner).toHaveCount(0);
  expect(typeof (await status()).connected).toBe('boolean');

  const enabled = await api('/api/federation/enable', { method: 'POST' });
  expect(enabled.status).toBe(200);
  expect(await enabled.json()).toMatchObject({ federation: { enabled: true, enabledBy: 'api' } });
  // The open page notices on its next look at config.json (every FEDERATION_ROUND_SECONDS, 2 s here).
  await expect(banner).toContainText('Federation was turned on from the command line', { timeout: 30_000 });
  await expect(banner).toHaveAttribute('data-consent', 'command-line');
  await expect(banner).toContainText(
    'anonymized task summaries (also of the 7 days before it was turned on)',
  );
  await expect(banner).toContainText('no federation server URL is set, so nothing is sent');
  await expect(banner).not.toContainText('ENABLE_FEDERATION');
  await page.screenshot({ path: test.info().outputPath('federation-api-enabled.png'), fullPage: true });
  await expect
    .poll(orError(status))
    .toMatchObject({ enabled: true, connected: false, state: 'ERROR', counters: { sent: 0 } });
  expect(await appConnections()).toBe(0);

  // The server, set from the command line: the banner names where it goes, and it goes.
  const set = await api('/api/federation/settings', {
    method: 'POST',
    body: JSON.stringify({ natsUrl: server.wsUrl }),
  });
  expect(set.status).toBe(200);
  await expect(banner).toContainText(`heartbeats go to ${server.wsUrl}`, { timeout: 30_000 });
  await expect.poll(orError(status), { timeout: 60_000 }).toMatchObject({ connected: true });
  await expect.poll(appConnections).toBe(1);
  // Every task of the log reaches the network, and the network's figures come back to the sidecar.
  await expect
    .poll(
      orError(async () => (await status()).stats?.tasks.last7d),
      { timeout: 120_000 },
    )
    .toBe(log.truth.executions.length);
  const { nodeId, stats, counters } = await status();
  expect(nodeId).toMatch(/^[0-9a-f]{32}$/);
  expect(stats!.activeNodes).toBeGreaterThanOrEqual(1);
  expect(counters.sent).toBeGreaterThanOrEqual(log.truth.executions.length);
  const global = await (await api('/api/federation/tasks/global')).json();
  expect(global).toMatchObject({ tasks: { last7d: log.truth.executions.length }, feed: expect.any(String) });
  const peers = await (await api('/api/federation/peers')).json();
  expect(peers).toMatchObject({ activeNodes: stats!.activeNodes, detail: expect.any(String) });
  expect(JSON.stringify([global, peers])).not.toContain(nodeId);
  await page.screenshot({ path: test.info().outputPath('federation-api-connected.png'), fullPage: true });

  const disabled = await api('/api/federation/disable', { method: 'POST' });
  expect(disabled.status).toBe(200);
  await expect.poll(appConnections, { timeout: 30_000 }).toBe(0);
  await expect(banner).toBeHidden();
  await expect.poll(orError(status)).toMatchObject({ enabled: false, connected: false });
});
