// JavaScript shipped on the first load of each local page: every script (and worker) Chromium fetches when a
// fresh profile opens the page of a paired PWA (until it is live, and a second after), gzip-compressed as a
// server would send it. Budget: at most 100 KB gzip for every page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { waitForState } from '../test/support/e2e-monitor.ts';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { writeReport } from './report.ts';
import { WEB_BUILD } from '../scripts/build-web.ts';
import { stage } from './stage.ts';

interface Script {
  path: string;
  bytes: number;
  gzipBytes: number;
}

const kb = (bytes: number) => Number((bytes / 1024).toFixed(1));

/** The scripts a fresh profile fetches for `path`, and an execution id the page links to (for the next page). */
async function firstLoad(browser: Browser, base: string, token: string, path: string) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === new URL(base).origin && /\.(m?js)$/.test(url.pathname)) scripts.add(url.pathname);
    });
    page.on('worker', (worker) => scripts.add(new URL(worker.url()).pathname));
    page.on('console', (m) => m.type() === 'error' && console.error(path, m.text()));
    page.on('requestfailed', (r) => console.error(path, 'failed', r.url()));
    page.on('response', (r) => r.status() >= 400 && console.error(path, r.status(), r.url()));
    await page.goto(`${base}${path}#token=${token}`);
    await waitForState(page, 'live');
    await page.waitForTimeout(1000);
    const link =
      path === '/' ? await page.locator('a[href^="/tasks/"]').first().getAttribute('href') : undefined;
    const files: Script[] = [...scripts]
      .map((p) => {
        const bytes = readFileSync(join(WEB_BUILD, p));
        return { path: p, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
      })
      .sort((a, b) => b.gzipBytes - a.gzipBytes);
    return { files, link };
  } finally {
    await context.close();
  }
}

const { sidecar, browser, close } = await stage((file) => writeGeneratedLog(file, { tasks: 16 }));
try {
  const dashboard = await firstLoad(browser, sidecar.url, sidecar.apiKey, '/');
  if (!dashboard.link) throw new Error('the dashboard links to no task');
  const paths = ['/tasks', dashboard.link, '/invoices', '/logs', '/settings'];
  const loads = [{ path: '/', files: dashboard.files }];
  for (const path of paths)
    loads.push({ path, files: (await firstLoad(browser, sidecar.url, sidecar.apiKey, path)).files });
  const pages = loads.map(({ path, files }) => ({
    page: path.startsWith('/tasks/') ? '/tasks/[id]' : path,
    scripts: files.length,
    gzipKb: kb(files.reduce((sum, f) => sum + f.gzipBytes, 0)),
    workerGzipKb: kb(files.filter((f) => f.path.includes('worker')).reduce((sum, f) => sum + f.gzipBytes, 0)),
    largest: files.slice(0, 6).map((f) => ({ path: f.path, gzipKb: kb(f.gzipBytes) })),
  }));
  const worst = Math.max(...pages.map((p) => p.gzipKb));
  writeReport('first-load', {
    gzipKb: worst,
    pages,
    budget: { gzipKb: 100 },
    withinBudget: worst <= 100,
  });
} finally {
  await close();
}
