// Sidecar memory while it streams a generated 20 000-task log through /api/events: the real sidecar process
// on the file source, its peak resident memory (VmHWM), first with one reader, then with every event-stream
// slot busy (16 readers doing a full backfill at once, each on a fresh sidecar). Budget: at most 100 MB each.
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { MAX_EVENT_STREAMS } from '../sidecar/src/http/app.ts';
import { startSidecarProcess, type SidecarProcess } from '../test/support/sidecar-process.ts';
import { openEvents } from '../test/support/sse-client.ts';
import { generatedLogDir } from './generated-log-dir.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const READERS = Number(process.env.BENCH_READERS ?? MAX_EVENT_STREAMS);
const BUDGET_MB = 100;

const { dir, logs, entries: expected } = await generatedLogDir('rss', TASKS);

/** Runs `read` against a fresh sidecar on the log, sampling its peak resident memory. */
async function measure<T>(name: string, read: (sidecar: SidecarProcess) => Promise<T>) {
  const sidecar = await startSidecarProcess({ SOURCE: `file:${logs}`, DATA_DIR: join(dir, `data-${name}`) });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, sidecar.peakRssMb())), 100);
  try {
    const t0 = performance.now();
    const result = await read(sidecar);
    const seconds = (performance.now() - t0) / 1000;
    return { result, seconds, peakRssMb: Math.max(peak, sidecar.peakRssMb()) };
  } finally {
    clearInterval(sampler);
    await sidecar.stop();
  }
}

/** One reader parsing every event: the entries it got, the bytes, and the id of the last entry. */
async function readAll(sidecar: SidecarProcess) {
  const controller = new AbortController();
  const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
  let received = 0;
  let bytes = 0;
  let lastId = '';
  for await (const event of events) {
    bytes += event.data.length;
    if (event.event === 'batch')
      received += (JSON.parse(event.data) as { entries: unknown[] }).entries.length;
    else if (event.event === 'entry') received++;
    if (event.id) lastId = event.id;
    if (received >= expected) break;
  }
  controller.abort();
  return { received, bytes, lastId };
}

/** A reader that reads as fast as it can without parsing, until the event of the last entry's id. */
function readUntil(sidecar: SidecarProcess, lastId: string): Promise<number> {
  const marker = `\nid: ${lastId}\n`;
  return new Promise((resolve, reject) => {
    const req = request(
      `${sidecar.url}/api/events`,
      { headers: { authorization: `Bearer ${sidecar.apiKey}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /api/events: ${res.statusCode}`));
        let bytes = 0;
        let tail = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          bytes += chunk.length;
          const text = tail + chunk;
          if (text.includes(marker)) {
            resolve(bytes);
            req.destroy();
          }
          tail = text.slice(-marker.length);
        });
        res.on('end', () => reject(new Error('the stream ended before the last entry')));
      },
    );
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

try {
  const one = await measure('one', readAll);
  const { received, bytes, lastId } = one.result;
  const all = await measure('all', (sidecar) =>
    Promise.all(Array.from({ length: READERS }, () => readUntil(sidecar, lastId))),
  );
  writeReport('sidecar-rss', {
    tasks: TASKS,
    entriesExpected: expected,
    entriesReceived: received,
    streamedMb: Number((bytes / 1e6).toFixed(1)),
    seconds: Number(one.seconds.toFixed(2)),
    entriesPerSecond: Math.round(received / one.seconds),
    sidecarPeakRssMb: Number(one.peakRssMb.toFixed(1)),
    parallel: {
      readers: READERS,
      streamedMb: Number((all.result.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)),
      seconds: Number(all.seconds.toFixed(2)),
      sidecarPeakRssMb: Number(all.peakRssMb.toFixed(1)),
    },
    budget: { sidecarPeakRssMb: BUDGET_MB },
    withinBudget: one.peakRssMb <= BUDGET_MB && all.peakRssMb <= BUDGET_MB && received === expected,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
