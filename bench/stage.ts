// The stage of a browser benchmark: a runner log directory, the real sidecar on it, Debian's Chromium with a
// fresh profile, and the built web app.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildSidecar } from '../scripts/build-sidecar.ts';
import { ensureWebBuild } from '../scripts/build-web.ts';
import { startSidecarProcess, type SidecarProcess } from '../test/support/sidecar-process.ts';
import { launchChromium } from './browser.ts';

export interface Stage {
  /** The log file the sidecar follows. */
  file: string;
  sidecar: SidecarProcess;
  browser: Browser;
  close(): Promise<void>;
}

/** `write` puts the log in place (`file` is named for today unless `fileName` is given). */
export async function stage(write: (file: string) => unknown, fileName?: string): Promise<Stage> {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, fileName ?? `${new Date().toISOString().slice(0, 10)}.log`);
  await write(file);
  ensureWebBuild();
  await buildSidecar();
  const sidecar = await startSidecarProcess({ SOURCE: `file:${logs}`, DATA_DIR: join(dir, 'data') });
  const browser = await launchChromium();
  return {
    file,
    sidecar,
    browser,
    async close() {
      await browser.close();
      await sidecar.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
