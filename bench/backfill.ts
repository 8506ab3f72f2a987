// npm run bench:backfill -- [--log <file>]
// The first visit of a new operator: the sidecar on a runner log (default: a generated 20 000-task log), a
// fresh Chromium profile on the PWA, until everything is stored in IndexedDB. Prints one JSON object
// { entries, tasks, invoices, seconds, sidecarPeakRssMb, browserCpuSeconds, loadAverage }. Budget: 20 000 tasks
// in 30 s, sidecar 100 MB.
import { copyFileSync } from 'node:fs';
import { basename } from 'node:path';
import { storedCounts, waitForState } from '../test/support/e2e-monitor.ts';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { parseFile } from '../sidecar/src/parse/read-log.ts';
import { Summarizer } from '../sidecar/src/parse/summary.ts';
import { loadavg } from 'node:os';
import { descendantsCpuMs } from './cpu.ts';
import { stage } from './stage.ts';
import { writeReport } from './report.ts';

const args = process.argv.slice(2);
const given = args.includes('--log') ? args[args.indexOf('--log') + 1] : undefined;
const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);

const { file, sidecar, browser, close } = await stage(
  (log) =>
    given
      ? copyFileSync(given, log)
      : writeGeneratedLog(log, { tasks: TASKS, startMs: Date.now() - Math.ceil(TASKS / 8) * 240_000 }),
  given && /\d{4}-\d\d-\d\d/.test(basename(given)) ? basename(given) : undefined,
);

// What the log holds, as the parser reads it.
const summary = new Summarizer();
let entries = 0;
await parseFile(file, (batch) => {
  entries += batch.length;
  for (const e of batch) summary.add(e);
});
const truth = summary.result();

try {
  const page = await browser.newPage();
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, sidecar.peakRssMb())), 200);
  const cpu0 = descendantsCpuMs(sidecar.child.pid);
  const t0 = performance.now();
  await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
  // Counting a large store reads all of it (and slows the writes down): wait until the ingest is live (its
  // backfill written), then count, and again every second if something is still missing.
  const deadline = Date.now() + 10 * 60_000;
  await waitForState(page, 'live', 10 * 60_000);
  let stored = await storedCounts(page, { outcomes: false });
  while ((stored.entries < entries || stored.tasks < truth.tasks.length) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stored = await storedCounts(page, { outcomes: false });
  }
  const seconds = (performance.now() - t0) / 1000;
  const browserCpuSeconds = (descendantsCpuMs(sidecar.child.pid) - cpu0) / 1000;
  clearInterval(sampler);
  const sidecarPeakRssMb = Math.max(peak, sidecar.peakRssMb());
  const result = {
    entries: stored.entries,
    tasks: stored.tasks,
    invoices: stored.invoices,
    seconds: Number(seconds.toFixed(1)),
    sidecarPeakRssMb: Number(sidecarPeakRssMb.toFixed(1)),
    browserCpuSeconds: Number(browserCpuSeconds.toFixed(1)),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
  console.log(JSON.stringify(result));
  writeReport(
    'backfill',
    {
      ...result,
      log: {
        file: given ?? `generated, ${TASKS} tasks`,
        entries,
        tasks: truth.tasks.length,
        invoices: truth.invoices.length,
      },
      budget: { seconds: 30, sidecarPeakRssMb: 100 },
      complete:
        stored.entries === entries &&
        stored.tasks === truth.tasks.length &&
        stored.invoices === truth.invoices.length,
      withinBudget: seconds <= 30 && sidecarPeakRssMb <= 100,
    },
    false,
  );
} finally {
  await close();
}
