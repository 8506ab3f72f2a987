// Creates, idempotently, everything the aggregator keeps in JetStream (in its own account, nats/users.conf):
// the ingest work queue and its one durable consumer (shared by every instance), the stream that keeps the
// latest stats and feed, and the KV buckets (dedup keys, 5-minute rollups, nodes, leases, the feed secret).
import { randomBytes } from 'node:crypto';
import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { MAX_INGEST_BYTES, MAX_PUBLISHED_BYTES } from '../../protocol/federation.ts';
import { INGEST_SUBJECTS, LATEST_STREAM, SUBJECTS } from '../../protocol/subjects.ts';
import type { AggregatorConfig } from './config.ts';
import { isWrongLastSequence } from './kv-errors.ts';
import { StartError } from './start-error.ts';

export const INGEST_STREAM = 'TRUEBIT_INGEST';
export const CONSUMER = 'aggregator';
export const BUCKETS = {
  dedup: 'truebit-dedup',
  rollups: 'truebit-rollups',
  nodes: 'truebit-nodes',
  leases: 'truebit-leases',
  secrets: 'truebit-secrets',
} as const;
/**
 * The ingest stream stores messages up to this size, above MAX_INGEST_BYTES, so that the aggregator sees a
 * moderately oversize message and counts it as `oversize`; a larger one is refused by the stream itself.
 */
export const INGEST_STORE_BYTES = 4 * MAX_INGEST_BYTES;
const DAY_MS = 24 * 3600 * 1000;
const MIB = 1024 ** 2;

export interface Store {
  jsm: JetStreamManager;
  dedup: KV;
  rollups: KV;
  nodes: KV;
  leases: KV;
  /** The secret of the feed priorities, made by the first instance and shared by all (never published). */
  feedSecret: string;
}

/** Reads the feed secret, creating it if no instance has yet (create-if-absent: all instances agree). */
async function feedSecret(secrets: KV): Promise<string> {
  try {
    await secrets.create('feed', randomBytes(32).toString('hex'));
  } catch (error) {
    if (!isWrongLastSequence(error)) throw error;
  }
  const entry = await secrets.get('feed');
  if (entry?.operation !== 'PUT') throw new Error('the feed secret could not be read');
  return entry.string();
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (error) {
    if (!/stream not found/i.test(String(error))) throw error;
    await jsm.streams.add(config);
  }
}

export async function setUp(nc: NatsConnection, config: AggregatorConfig): Promise<Store> {
  const jsm = await jetstreamManager(nc).catch((error: unknown) => {
    // The class is not exported by @nats-io/jetstream's main entry: known by its name.
    if (!(error instanceof Error && error.name === 'JetStreamNotEnabled')) throw error;
    throw new StartError(
      `NATS at ${config.natsUrl} has no JetStream for the aggregator's account: the server's config needs a \`jetstream {}\` block (and \`jetstream: enabled\` on the aggregator's account where there are accounts); nats/nats.conf and nats/README.md show one`,
      { cause: error },
    );
  });
  const replicas = config.replicas;
  await ensureStream(jsm, {
    name: INGEST_STREAM,
    subjects: [...INGEST_SUBJECTS],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: 3600 * 1e9,
    max_msg_size: INGEST_STORE_BYTES,
    max_bytes: config.ingestMaxBytes,
    discard: DiscardPolicy.Old,
    // No acknowledgement for a publication: the stream imports of nats/users.conf carry the publisher's
    // reply subject into this account, and a monitor could name the JetStream API or a KV subject as the
    // reply for the acknowledgement to perform (nats/README.md, "Accounts").
    no_ack: true,
    num_replicas: replicas,
  });
  await jsm.consumers.add(INGEST_STREAM, {
    durable_name: CONSUMER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: 30 * 1e9,
    max_ack_pending: 20_000,
    max_waiting: 64,
  });
  await ensureStream(jsm, {
    name: LATEST_STREAM,
    subjects: [SUBJECTS.stats, SUBJECTS.feed],
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    max_msg_size: MAX_PUBLISHED_BYTES,
    max_bytes: 4 * MIB,
    allow_direct: true,
    num_replicas: replicas,
  });
  const kvm = new Kvm(nc);
  /**
   * A KV bucket. `makeRoom`: when it is full, its least recently written records are dropped to make room
   * (the stream's discard policy "old"); otherwise a full bucket refuses new records (the KV default), which
   * would stop counting for good once a flood filled it.
   */
  const bucket = async (
    name: string,
    ttlDays: number,
    maxBytes: number,
    maxValueSize: number,
    makeRoom: boolean,
  ) => {
    const kv = await kvm.create(name, {
      ttl: ttlDays * DAY_MS,
      max_bytes: maxBytes,
      maxValueSize,
      replicas,
      history: 1,
      // Reads go to the stream leader: a direct get may be answered by a replica that lags behind, and a
      // stale "no claim" or rollup would break the exactly-once counting in a cluster.
      allow_direct: false,
    });
    // A bucket made by an older version keeps its old settings: raise its value size (headers count in it
    // too), set its size and discard policy.
    const stream = `KV_${name}`;
    const { config } = await jsm.streams.info(stream);
    const discard = makeRoom ? DiscardPolicy.Old : DiscardPolicy.New;
    if (config.max_msg_size < maxValueSize || config.max_bytes !== maxBytes || config.discard !== discard)
      await jsm.streams.update(stream, {
        ...config,
        max_msg_size: Math.max(config.max_msg_size, maxValueSize),
        max_bytes: maxBytes,
        discard,
      });
    return kv;
  };
  return {
    jsm,
    // 128 bytes for a sequence or a lease: the compare-and-set header that replaces a foreign record
    // (records.ts) counts in the size, about 60 bytes.
    // A full bucket drops its oldest: a task key older than any window still counted, a node record not
    // written for the longest (an active node's is rewritten at each heartbeat), the oldest windows.
    dedup: await bucket(BUCKETS.dedup, 8, config.dedupMaxBytes, 128, true),
    rollups: await bucket(BUCKETS.rollups, config.historyDays, 256 * MIB, 60 * 1024, true),
    nodes: await bucket(BUCKETS.nodes, 8, config.nodesMaxBytes, 256, true),
    leases: await bucket(BUCKETS.leases, 1, 8 * MIB, 128, true),
    // Kept for good (no TTL, never dropped): a new secret would rank a window's later tasks against other
    // priorities.
    feedSecret: await feedSecret(await bucket(BUCKETS.secrets, 0, MIB, 256, false)),
  };
}
