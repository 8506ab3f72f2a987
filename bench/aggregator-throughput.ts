// Task messages per second through one aggregator (a child process, as `npm run aggregator` runs it),
// with exact counts: a backlog of task messages (a tenth of them duplicates, over 12 windows) is published
// first, then the aggregator counts it all; the figure is messages / (first count → backlog empty).
// Budget: ≥ 5 000 task messages/s with nats-server on the same machine.
import * as v from 'valibot';
import { WINDOW_MS, windowOf, StatsMessageSchema } from '../protocol/federation.ts';
import { startAggregatorProcess } from '../test/support/aggregator-process.ts';
import { startNatsServer } from '../test/support/nats-server.ts';
import {
  SUBJECTS,
  configEnv,
  getJson,
  metricValue,
  monitorConnection,
  prepareStreams,
  publishAll,
  task,
  testConfig,
} from '../test/support/federation-traffic.ts';
import { poll } from '../test/support/poll.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const BUDGET = 5000;

const server = await startNatsServer();
try {
  const config = testConfig(server, { statsIntervalMs: 1000 });
  await prepareStreams(config);
  const now = Date.now();
  const tasks = Array.from({ length: TASKS }, (_, i) =>
    task(i, { window: windowOf(now - (i % 12) * WINDOW_MS) }),
  );
  const duplicates = tasks.filter((_, i) => i % 10 === 0);
  const nc = await monitorConnection(server.url);
  await publishAll(nc, SUBJECTS.task, [...tasks, ...duplicates]);
  await nc.close();
  const messages = tasks.length + duplicates.length;

  const aggregator = await startAggregatorProcess(configEnv(config));
  try {
    const accepted = () => metricValue(aggregator.httpUrl, 'truwatch_accepted_total{type="task"}');
    await poll('a first task accepted', accepted, (n) => n > 0, 120_000);
    const t0 = performance.now();
    const cpu0 = aggregator.usage().cpuSeconds;
    await poll(
      'an empty backlog',
      () => metricValue(aggregator.httpUrl, 'truwatch_consumer_lag'),
      (lag) => lag === 0,
      600_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = aggregator.usage().cpuSeconds - cpu0;
    const stats = v.parse(StatsMessageSchema, await getJson(`${aggregator.httpUrl}/api/stats`));
    const perSecond = Math.round(messages / seconds);
    const exact = stats.tasks.last7d === TASKS;
    writeReport('aggregator-throughput', {
      taskMessages: messages,
      distinctTasks: TASKS,
      counted: stats.tasks.last7d,
      exact,
      seconds: Number(seconds.toFixed(2)),
      taskMessagesPerSecond: perSecond,
      aggregatorCpuSeconds: Number(cpuSeconds.toFixed(2)),
      aggregatorPeakRssMb: Number(aggregator.usage().peakRssMb.toFixed(1)),
      kvConflicts: await metricValue(aggregator.httpUrl, 'truwatch_kv_conflicts_total'),
      note: 'aggregator and nats-server share a 2-core machine with other work; rerun quietly for a firm figure',
      budget: { taskMessagesPerSecond: BUDGET },
      withinBudget: exact && perSecond >= BUDGET,
    });
  } finally {
    await aggregator.stop();
  }
} finally {
  await server.close();
}
