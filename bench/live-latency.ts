// Live latency: a runner line appended to the log file → the entry visible in the PWA's live log tail, in
// Chromium, with the real sidecar on the file source. Budget: p95 at most 200 ms.
import { appendFileSync } from 'node:fs';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { writeReport } from './report.ts';
import { stage } from './stage.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const { file, sidecar, browser, close } = await stage((log) =>
  writeGeneratedLog(log, { tasks: 40, startMs: Date.now() - 3_600_000 }),
);
try {
  const page = await browser.newPage();
  await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
  await page.locator('[data-state="live"]').waitFor({ timeout: 60_000 });
  await page.getByRole('link', { name: 'Logs', exact: true }).click();
  await page.getByTestId('entry-count').waitFor();
  // The page reports when each marker shows up (same machine, same clock).
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { seen: Record<string, number> }).seen = seen;
    new MutationObserver(() => {
      for (const m of document.body.innerText.matchAll(/latency-probe-(\d+)/g)) seen[m[1]!] ??= Date.now();
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
    const sent = Date.now();
    appendFileSync(file, `${stamp} info: @truebit/worker-runner-node:2.0.0-beta.5 latency-probe-${i}\n`);
    const shown = await page.waitForFunction(
      (n) => (window as unknown as { seen: Record<string, number> }).seen[n],
      String(i),
      { timeout: 10_000, polling: 20 },
    );
    latencies.push(((await shown.jsonValue()) as number) - sent);
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 200));
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  writeReport('live-latency', {
    samples: latencies.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: latencies.at(-1),
    budget: { p95Ms: 200 },
    withinBudget: at(0.95) <= 200,
  });
} finally {
  await close();
}
