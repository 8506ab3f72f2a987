// JavaScript shipped on the first load of a local page: every script (and worker) Chromium fetches when a
// fresh profile opens the dashboard of a paired PWA, gzip-compressed as a server would send it.
// Budget: at most 100 KB gzip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeGeneratedLog } from '../scripts/generate-log.ts';
import { writeReport } from './report.ts';
import { WEB_BUILD } from '../scripts/build-web.ts';
import { stage } from './stage.ts';

const { sidecar, browser, close } = await stage((file) => writeGeneratedLog(file, { tasks: 16 }));
try {
  const page = await browser.newPage();
  const scripts = new Set<string>();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === new URL(sidecar.url).origin && /\.(m?js)$/.test(url.pathname))
      scripts.add(url.pathname);
  });
  page.on('worker', (worker) => scripts.add(new URL(worker.url()).pathname));
  await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
  await page.locator('[data-state="live"]').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  const files = [...scripts]
    .map((path) => {
      const bytes = readFileSync(join(WEB_BUILD, path));
      return { path, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
  const total = files.reduce((sum, f) => sum + f.gzipBytes, 0);
  const worker = files.filter((f) => f.path.includes('worker')).reduce((sum, f) => sum + f.gzipBytes, 0);
  writeReport('first-load', {
    page: '/',
    scripts: files.length,
    gzipKb: Number((total / 1024).toFixed(1)),
    workerGzipKb: Number((worker / 1024).toFixed(1)),
    files,
    budget: { gzipKb: 100 },
    withinBudget: total / 1024 <= 100,
  });
} finally {
  await close();
}
