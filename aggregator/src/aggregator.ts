// One aggregator instance: connects to NATS, sets up the streams and buckets, counts the ingest stream,
// publishes stats and feed, and serves the HTTP API. Any number of instances may run at once.
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { jetstream } from '@nats-io/jetstream';
import type { KvEntry } from '@nats-io/kv';
import type { StatsMessage } from '../../protocol/federation.ts';
import type { AggregatorConfig } from './config.ts';
import { connectWhenUp } from './connect.ts';
import { createHttp } from './http.ts';
import { startIngest } from './ingest.ts';
import { removeLeftovers } from './leftovers.ts';
import { SettledFloor } from './settled-floor.ts';
import { StartError } from './start-error.ts';
import { Metrics } from './metrics.ts';
import { Mirror } from './mirror.ts';
import { dayOfKey, decodeNode, heardTwice } from './nodes.ts';
import { publishTick } from './publish.ts';
import { decodeRollup } from './records.ts';
import { feedPriority, windowOfKey } from './rollup.ts';
import { CONSUMER, INGEST_STREAM, setUp } from './setup.ts';
import { computeStats, hourlySeries, type WindowCounts } from './stats.ts';
import { KeysFile } from './tokens/accepted-keys.ts';
import { SpentTokens } from './tokens/spent-tokens.ts';
import { RequiredTokens } from './tokens/token-gate.ts';

const DAY_MS = 24 * 3600_000;
/**
 * How old the ack floor must be to decide by it: a nats-server killed mid-stream lost confirmed
 * acknowledgements of a few seconds (crash.test.ts counted 200 tasks twice when `applied` was pruned by the
 * live floor).
 */
const SETTLE_MS = 60_000;
/** Counted messages a crash left behind, deleted every 10 s at most (each one request). */
const LEFTOVERS_PER_ROUND = 2000;

export interface Aggregator {
  httpUrl: string;
  metrics: Metrics;
  stop(): Promise<void>;
}

/** What the stats need of a rollup record, if it is one (records.ts). */
function decodeCounts(entry: KvEntry): WindowCounts | undefined {
  const rollup = decodeRollup(entry);
  if (!rollup) return undefined;
  const { feed: _feed, applied: _applied, sketch: _sketch, ...counts } = rollup;
  return counts;
}

/** The issuer's keys file, read at start: a file that cannot be used stops the start with why. */
function readKeysFile(
  { keysFile, issuerName }: NonNullable<AggregatorConfig['tokens']>,
  log: (line: string) => void,
): KeysFile {
  try {
    return new KeysFile(keysFile, issuerName, 60_000, (error) =>
      log(`aggregator: token keys not read again, keeping those read before: ${error.message}`),
    );
  } catch (error) {
    throw new StartError((error as Error).message, { cause: error });
  }
}

export async function startAggregator(
  config: AggregatorConfig,
  log: (line: string) => void = (line) => console.error(line),
): Promise<Aggregator> {
  const keysFile = config.tokens && readKeysFile(config.tokens, log);
  const nc = await connectWhenUp(config, log);
  const store = await setUp(nc, config);
  const metrics = new Metrics();
  const nodeMirror = new Mirror(store.nodes, decodeNode, config.maxNodes, heardTwice, () =>
    metrics.skip('nodes'),
  );
  const rollupMirror = new Mirror(
    store.rollups,
    decodeCounts,
    config.historyDays * 288 + 288,
    undefined,
    () => metrics.skip('rollups'),
  );
  await Promise.all([nodeMirror.ready, rollupMirror.ready]);

  const tokens =
    config.tokens &&
    keysFile &&
    new RequiredTokens(
      keysFile,
      new SpentTokens(nc, store.jsm, { replicas: config.replicas, maxTokens: config.tokens.spentMaxTokens }),
      log,
    );

  // The spent buckets of the keys in force exist before the first token is counted (a spend makes none).
  await tokens?.maintain(Date.now());

  const instance = randomBytes(8).toString('hex');
  const js = jetstream(nc);
  const consumer = await js.consumers.get(INGEST_STREAM, CONSUMER);
  const ackFloor = new SettledFloor(SETTLE_MS);
  let infoOk = true;
  // One read at a time: a slow answer arriving after a newer one would set the lag back in time.
  let infoReading = false;
  const pollInfo = async () => {
    if (infoReading) return;
    infoReading = true;
    try {
      const askedAt = Date.now();
      const info = await store.jsm.consumers.info(INGEST_STREAM, CONSUMER);
      ackFloor.observe(info.ack_floor.stream_seq, Date.now());
      metrics.consumerLag = info.num_pending + info.num_ack_pending;
      metrics.consumerLagAskedAt = askedAt;
      infoOk = true;
    } catch (error) {
      infoOk = false;
      log(`aggregator: consumer info failed: ${String(error)}`);
    } finally {
      infoReading = false;
    }
  };
  await pollInfo();
  const infoTimer = setInterval(pollInfo, 1000);
  let cleaning = false;
  const cleanTimer = setInterval(() => {
    if (cleaning || !infoOk) return;
    cleaning = true;
    removeLeftovers(store.jsm, ackFloor.value, LEFTOVERS_PER_ROUND)
      .then(
        (removed) => {
          metrics.leftoversRemoved += removed;
          if (removed)
            log(`aggregator: deleted ${removed} counted messages a crash left in ${INGEST_STREAM}`);
        },
        (error) => log(`aggregator: deleting counted leftovers failed: ${String(error)}`),
      )
      .finally(() => (cleaning = false));
  }, 10_000);
  const healTimer = setInterval(() => {
    for (const [name, mirror] of [
      ['nodes', nodeMirror],
      ['rollups', rollupMirror],
    ] as const)
      mirror.heal().then(
        (restarted) => restarted && log(`aggregator: the ${name} watch had stalled; restarted`),
        (error) => log(`aggregator: checking the ${name} watch failed: ${String(error)}`),
      );
  }, 5000);

  const ingest = startIngest(
    consumer,
    {
      dedup: store.dedup,
      rollups: store.rollups,
      nodes: store.nodes,
      mirror: nodeMirror,
      metrics,
      minIntervalMs: config.heartbeatMinIntervalMs,
      ackFloor: () => ackFloor.value,
      priority: feedPriority(store.feedSecret),
      ...(tokens && { tokens }),
    },
    { batchSize: config.batchSize, workers: config.workers },
    (error) => log(`aggregator: batch not counted, will be redelivered: ${String(error)}`),
  );

  // Computed at most once a second, however often /api/stats is asked.
  let cached: { at: number; stats: StatsMessage } | undefined;
  const stats = (now: number) => {
    if (!cached || Math.abs(now - cached.at) >= 1000)
      cached = {
        at: now,
        stats: {
          ...computeStats(rollupMirror.map, nodeMirror.map, now),
          ...(tokens && { tokenBacked: true }),
        },
      };
    return cached.stats;
  };
  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    const now = Date.now();
    nodeMirror.prune((key) => dayOfKey(key) < now - 8 * DAY_MS);
    rollupMirror.prune((key) => windowOfKey(key) < now - config.historyDays * DAY_MS);
    try {
      await tokens?.maintain(now);
    } catch (error) {
      log(`aggregator: keeping the spent-token buckets failed: ${String(error)}`);
    }
    try {
      await publishTick(
        {
          js,
          leases: store.leases,
          rollups: store.rollups,
          instance,
          metrics,
          intervalMs: config.statsIntervalMs,
          stats,
        },
        now,
      );
    } catch (error) {
      log(`aggregator: publishing failed: ${String(error)}`);
    } finally {
      ticking = false;
    }
  };
  const tickTimer = setInterval(tick, config.statsIntervalMs);
  void tick();

  const app = createHttp({
    stats,
    hourly: (from, to) => hourlySeries(rollupMirror.map, nodeMirror.map, from, to),
    healthy: () => !nc.isClosed() && infoOk,
    metrics: () => {
      metrics.nodesHeld = nodeMirror.map.size;
      metrics.nodesEvicted = nodeMirror.evicted;
      return metrics.text();
    },
    historyDays: config.historyDays,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.httpHost }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  log(
    `aggregator: counting ${INGEST_STREAM} on ${config.natsUrl}, HTTP on http://${config.httpHost}:${port}`,
  );

  return {
    httpUrl: `http://${config.httpHost}:${port}`,
    metrics,
    async stop() {
      clearInterval(infoTimer);
      clearInterval(cleanTimer);
      clearInterval(healTimer);
      clearInterval(tickTimer);
      ingest.stop();
      await ingest.done;
      nodeMirror.stop();
      rollupMirror.stop();
      await new Promise((resolve) => server.close(resolve));
      await nc.drain();
    },
  };
}
