// The alerter's cost to the sidecar: the real sidecar process (its bundle) reading a generated 20 000-task log
// whose last entry is old (so the node is judged degraded once it is read, and alerted at once: hold 0), first
// with no channel, then with 20 channels whose receiver never answers (every send hangs until its 10 s timeout),
// then with one receiver that answers. Figures: seconds to read the log, /api/status latency (median and p95 of
// 50 requests) while the sends hang, and seconds from the start to the alert's arrival (beside the seconds the read takes: the verdict is judged
// once the log is read to its end).
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { poll } from '../test/support/poll.ts';
import { startSidecarProcess, type SidecarProcess } from '../test/support/sidecar-process.ts';
import { generatedLogDir } from './generated-log-dir.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const CHANNELS = 20;

const { dir, logs, entries: expected } = await generatedLogDir('alerts', TASKS);

/** A receiver that answers (and notes when each alert came) or never does. */
async function receiver(silent: boolean): Promise<{ port: number; arrivals: number[]; server: Server }> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (silent) return;
      arrivals.push(performance.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, arrivals, server };
}

async function get(sidecar: SidecarProcess, route: string): Promise<unknown> {
  const res = await fetch(`${sidecar.url}${route}`, {
    headers: { authorization: `Bearer ${sidecar.apiKey}` },
  });
  return res.json();
}

/** Median and p95 of 50 GET /api/status, in ms. */
async function statusLatency(sidecar: SidecarProcess): Promise<{ medianMs: number; p95Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await get(sidecar, '/api/status');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { medianMs: round(times[25]!), p95Ms: round(times[47]!) };
}

async function run(name: string, urls: string[]) {
  const sidecar = await startSidecarProcess({
    SOURCE: `file:${logs}`,
    DATA_DIR: join(dir, `data-${name}`),
    NOTIFY_URLS: urls.join(' '),
    NOTIFY_HOLD_SECONDS: '0',
  });
  try {
    const t0 = performance.now();
    await poll(
      'the whole log read',
      () => get(sidecar, '/api/status') as Promise<{ counts: { entries: number } }>,
      (s) => s.counts.entries >= expected,
      600_000,
    );
    const readMs = performance.now();
    if (urls.length)
      await poll(
        'the alert raised',
        () => get(sidecar, '/api/alerts') as Promise<{ alerts: unknown[] }>,
        (a) => a.alerts.length > 0,
        60_000,
      );
    return {
      sidecar,
      readSeconds: Math.round(readMs - t0) / 1000,
      t0,
      latency: await statusLatency(sidecar),
    };
  } catch (error) {
    await sidecar.stop();
    throw error;
  }
}

const silent = await receiver(true);
const answering = await receiver(false);
try {
  const none = await run('none', []);
  await none.sidecar.stop();
  const hanging = await run(
    'hanging',
    Array.from({ length: CHANNELS }, (_, i) => `json://127.0.0.1:${silent.port}/hook-${i}`),
  );
  await hanging.sidecar.stop();
  const one = await run('answering', [`json://127.0.0.1:${answering.port}/hook`]);
  await poll(
    'the alert delivered',
    async () => answering.arrivals.length,
    (n) => n > 0,
    60_000,
  );
  await one.sidecar.stop();
  writeReport('alerts', {
    tasks: TASKS,
    entries: expected,
    noChannel: { readSeconds: none.readSeconds, statusLatency: none.latency },
    [`${CHANNELS}HangingChannels`]: {
      readSeconds: hanging.readSeconds,
      statusLatencyWhileSending: hanging.latency,
    },
    oneReceiver: {
      readSeconds: one.readSeconds,
      secondsFromStartToAlert: Math.round(answering.arrivals[0]! - one.t0) / 1000,
    },
  });
} finally {
  silent.server.closeAllConnections();
  silent.server.close();
  answering.server.close();
  rmSync(dir, { recursive: true, force: true });
}
