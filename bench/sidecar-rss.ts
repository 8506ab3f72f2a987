// Sidecar memory while it streams a generated 20 000-task log through /api/events to a reader: the real
// sidecar process on the file source, its peak resident memory (VmHWM). Budget: at most 100 MB.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { startSidecarProcess } from '../test/support/sidecar-process.ts';
import { openEvents } from '../test/support/sse-client.ts';
import { parseFile } from '../sidecar/src/parse/read-log.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-rss-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const path = join(logs, '2025-11-24.log');
await writeGeneratedLog(path, { tasks: TASKS, startMs: Date.parse('2025-11-24T00:00:00Z') });
let expected = 0;
await parseFile(path, (entries) => (expected += entries.length));

const sidecar = await startSidecarProcess({ SOURCE: `file:${logs}`, DATA_DIR: join(dir, 'data') });
try {
  const t0 = performance.now();
  const controller = new AbortController();
  const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
  let received = 0;
  let bytes = 0;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, sidecar.peakRssMb())), 100);
  for await (const event of events) {
    bytes += event.data.length;
    if (event.event === 'batch')
      received += (JSON.parse(event.data) as { entries: unknown[] }).entries.length;
    else if (event.event === 'entry') received++;
    if (received >= expected) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  controller.abort();
  clearInterval(sampler);
  const peakRssMb = Math.max(peak, sidecar.peakRssMb());
  writeReport('sidecar-rss', {
    tasks: TASKS,
    entriesExpected: expected,
    entriesReceived: received,
    streamedMb: Number((bytes / 1e6).toFixed(1)),
    seconds: Number(seconds.toFixed(2)),
    entriesPerSecond: Math.round(received / seconds),
    sidecarPeakRssMb: Number(peakRssMb.toFixed(1)),
    budget: { sidecarPeakRssMb: 100 },
    withinBudget: peakRssMb <= 100 && received === expected,
  });
} finally {
  await sidecar.stop();
  rmSync(dir, { recursive: true, force: true });
}
