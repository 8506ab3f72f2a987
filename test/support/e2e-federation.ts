// What an end-to-end federation test starts around the browser: nats-server, the real aggregator process, a
// generated log directory and the real sidecar on it, with the settings that make federation quick in a test
// (heartbeats, the slow round and the task hold at 2 s; stats every 500 ms). Stopped in reverse order.
import { expect, type Page } from '@playwright/test';
import { startAggregatorProcess, type AggregatorProcess } from './aggregator-process.ts';
import { awayFromMidnight, logDir, logSpanMs, startFileSidecar, type LogDir } from './e2e-monitor.ts';
import { DEV_USERS, type NatsServer } from './nats-server.ts';
import type { SidecarProcess } from './sidecar-process.ts';

/** The sidecar's federation settings for tests: nothing waits for minutes. */
export const QUICK_FEDERATION = {
  FEDERATION_HEARTBEAT_SECONDS: '2',
  FEDERATION_ROUND_SECONDS: '2',
  // Tasks leave within 2 s of finishing instead of up to 2 minutes after their 5-minute window.
  FEDERATION_TASK_HOLD_SECONDS: '2',
};

/** The aggregator's settings for tests: stats every 500 ms, heartbeats accepted every second. */
export const QUICK_STATS = { STATS_INTERVAL_MS: '500', HEARTBEAT_MIN_INTERVAL_MS: '1000' };

/** The aggregator process as the dev users' aggregator on a server started with nats/dev. */
export function startDevAggregator(server: NatsServer): Promise<AggregatorProcess> {
  return startAggregatorProcess({
    NATS_URL: server.url,
    NATS_USER: DEV_USERS.aggregator.user,
    NATS_PASSWORD: DEV_USERS.aggregator.pass,
    ...QUICK_STATS,
  });
}

/** Opens the Federation page, enables federation with the default choice (the last 7 days), waits to connect. */
export async function enableFederation(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Federation', exact: true }).click();
  await page.getByRole('button', { name: 'Enable federation' }).click();
  await expect(page.locator('[data-fed-state="CONNECTED"]')).toBeVisible();
}

export class FederationStack {
  server: NatsServer | undefined;
  aggregator: AggregatorProcess | undefined;
  log: LogDir | undefined;
  sidecar: SidecarProcess | undefined;
  private readonly cleanups: (() => void)[] = [];

  /** A log directory with `tasks` generated tasks and the sidecar on it, federating to `natsUrl` (if any). */
  async startMonitor(
    natsUrl: string | undefined,
    env: Record<string, string> = {},
    tasks = 16,
  ): Promise<{ log: LogDir; sidecar: SidecarProcess }> {
    // The tasks must be due at once and the run within one UTC day: not just before or after a midnight.
    await awayFromMidnight(logSpanMs(tasks) + 60_000);
    const log = (this.log = await logDir(tasks));
    const sidecar = (this.sidecar = await startFileSidecar(log, '0', {
      ...(natsUrl === undefined ? {} : { FEDERATION_NATS_URL: natsUrl }),
      ...QUICK_FEDERATION,
      ...env,
    }));
    return { log, sidecar };
  }

  /** Runs `cleanup` when the stack stops, after everything it started. */
  onStop(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  async stopMonitor(): Promise<void> {
    await this.sidecar?.stop();
    this.log?.cleanup();
    this.sidecar = undefined;
    this.log = undefined;
  }

  async stop(): Promise<void> {
    await this.stopMonitor();
    await this.aggregator?.stop();
    await this.server?.close();
    for (const cleanup of this.cleanups) cleanup();
  }
}
