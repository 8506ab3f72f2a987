// Task messages per second through one aggregator (a child process, as `npm run aggregator` runs it),
// with exact counts: a backlog of task messages (a tenth of them duplicates, over 12 windows) is published
// first, then the aggregator counts it all; the figure is messages / (first count → backlog empty).
// Budget: ≥ 5 000 task messages/s with nats-server on the same machine.
// Then the same with anonymous tokens required (docs/TRUST.md): every task carries its own task token, so
// each message costs an RSA verification and a spend record besides its claim (fewer tasks: minting a token
// here costs an RSA signature). And the verification alone, in this process: microseconds per token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { TEST_ISSUER, mintKey, mintToken, writeKeysFile } from '../test/support/token-mint.ts';
import { TokenVerifier, tokenBytes } from '../aggregator/src/tokens/verify-token.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 100_000);
const TOKEN_TASKS = Number(process.env.BENCH_TOKEN_TASKS ?? 20_000);
const VERIFICATIONS = 5000;
const BUDGET = 5000;

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-tokens-'));
const taskKey = mintKey('task');
const keysFile = join(dir, 'keys.json');
writeKeysFile(keysFile, [taskKey]);

/** Counts `count` tasks (and a tenth again) through a fresh nats-server and aggregator; with tokens if asked. */
async function measure(count: number, tokens: boolean) {
  const server = await startNatsServer();
  try {
    const config = testConfig(server, {
      statsIntervalMs: 1000,
      ...(tokens && {
        tokens: { keysFile, issuerName: TEST_ISSUER, spentMaxTokens: 1_000_000 },
      }),
    });
    return await countBacklog(config, count, tokens);
  } finally {
    await server.close();
  }
}

async function countBacklog(config: ReturnType<typeof testConfig>, count: number, tokens: boolean) {
  await prepareStreams(config);
  const now = Date.now();
  const tasks = Array.from({ length: count }, (_, i) =>
    task(i, {
      window: windowOf(now - (i % 12) * WINDOW_MS),
      ...(tokens && { token: mintToken(taskKey) }),
    }),
  );
  const duplicates = tasks.filter((_, i) => i % 10 === 0);
  const nc = await monitorConnection(config.natsUrl);
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
    return {
      taskMessages: messages,
      distinctTasks: count,
      counted: stats.tasks.last7d,
      exact: stats.tasks.last7d === count,
      seconds: Number(seconds.toFixed(2)),
      taskMessagesPerSecond: Math.round(messages / seconds),
      aggregatorCpuSeconds: Number(cpuSeconds.toFixed(2)),
      aggregatorPeakRssMb: Number(aggregator.usage().peakRssMb.toFixed(1)),
      kvConflicts: await metricValue(aggregator.httpUrl, 'truwatch_kv_conflicts_total'),
    };
  } finally {
    await aggregator.stop();
  }
}

/** Microseconds per token verified (signature, challenge, key), in this process. */
function verifyMicroseconds(): number {
  const verifier = new TokenVerifier(TEST_ISSUER, [
    { kind: 'task', tokenKey: taskKey.tokenKey, notBefore: 0 },
  ]);
  const tokens = Array.from({ length: VERIFICATIONS }, () => tokenBytes(mintToken(taskKey))!);
  const t0 = performance.now();
  for (const token of tokens)
    if (!verifier.verify(token, 'task').ok) throw new Error('a token did not verify');
  return ((performance.now() - t0) * 1000) / VERIFICATIONS;
}

try {
  const plain = await measure(TASKS, false);
  const withTokens = await measure(TOKEN_TASKS, true);
  const verifyUs = verifyMicroseconds();
  writeReport('aggregator-throughput', {
    ...plain,
    withTokens,
    tokenVerifyMicroseconds: Number(verifyUs.toFixed(1)),
    note: 'aggregator and nats-server share a 2-core machine with other work; rerun quietly for a firm figure',
    budget: { taskMessagesPerSecond: BUDGET },
    withinBudget: plain.exact && withTokens.exact && plain.taskMessagesPerSecond >= BUDGET,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
