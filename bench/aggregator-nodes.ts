// 10 000 heartbeating nodes against one aggregator (a child process): each node sends a heartbeat every
// 60 s, spread evenly, for two rounds. Reports the aggregator's CPU (share of one core) and memory while it
// counts them, how long /api/stats takes to compute over them, and whether active nodes and nodes today
// are exact (10 000 each).
import * as v from 'valibot';
import { StatsMessageSchema } from '../protocol/federation.ts';
import { startAggregatorProcess } from '../test/support/aggregator-process.ts';
import { startNatsServer } from '../test/support/nats-server.ts';
import {
  SUBJECTS,
  configEnv,
  getJson,
  heartbeat,
  metricValue,
  monitorConnection,
  prepareStreams,
  testConfig,
} from '../test/support/federation-traffic.ts';
import { poll } from '../test/support/poll.ts';
import { writeReport } from './report.ts';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const PERIOD_MS = 60_000;
const ROUNDS = 2;
const REGIONS = ['EU', 'NA', 'AS', 'SA', 'OC', 'AF'] as const;

const server = await startNatsServer();
try {
  const config = testConfig(server, { statsIntervalMs: 10_000 });
  await prepareStreams(config);
  const aggregator = await startAggregatorProcess(configEnv(config));
  const nc = await monitorConnection(server.url);
  try {
    const beats = Array.from({ length: NODES }, (_, i) =>
      JSON.stringify(heartbeat(i, { region: REGIONS[i % REGIONS.length], version: `1.${i % 4}` })),
    );
    const cpu0 = aggregator.usage().cpuSeconds;
    const t0 = Date.now();
    let sent = 0;
    while (sent < NODES * ROUNDS) {
      const due = Math.min(NODES * ROUNDS, Math.floor(((Date.now() - t0) / PERIOD_MS) * NODES));
      for (; sent < due; sent++) nc.publish(SUBJECTS.heartbeat, beats[sent % NODES]!);
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const accepted = () => metricValue(aggregator.httpUrl, 'truwatch_accepted_total{type="heartbeat"}');
    await poll('every heartbeat accepted', accepted, (n) => n >= NODES * ROUNDS, 120_000);
    const seconds = (Date.now() - t0) / 1000;
    const cpuSeconds = aggregator.usage().cpuSeconds - cpu0;
    const s0 = performance.now();
    const stats = v.parse(StatsMessageSchema, await getJson(`${aggregator.httpUrl}/api/stats`));
    const statsMs = performance.now() - s0;
    const exact =
      stats.activeNodes === NODES && stats.nodesToday === NODES && (await accepted()) === NODES * ROUNDS;
    const cpuShare = cpuSeconds / seconds;
    writeReport('aggregator-nodes', {
      nodes: NODES,
      heartbeats: NODES * ROUNDS,
      heartbeatsPerSecond: Math.round(NODES / (PERIOD_MS / 1000)),
      seconds: Number(seconds.toFixed(1)),
      activeNodes: stats.activeNodes,
      nodesToday: stats.nodesToday,
      exact,
      aggregatorCpuShareOfOneCore: Number(cpuShare.toFixed(3)),
      aggregatorPeakRssMb: Number(aggregator.usage().peakRssMb.toFixed(1)),
      statsRequestMs: Number(statsMs.toFixed(1)),
      note: 'shared 2-core machine; rerun quietly for firm figures',
      budget: { nodes: 10_000, aggregatorCpuShareOfOneCore: 0.5 },
      withinBudget: exact && cpuShare <= 0.5,
    });
  } finally {
    await nc.close();
    await aggregator.stop();
  }
} finally {
  await server.close();
}
