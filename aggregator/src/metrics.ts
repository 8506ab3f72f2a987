// The aggregator's counters, and their Prometheus text exposition for GET /metrics. Counters count
// processing events of this instance (a redelivered message is counted again); the statistics themselves
// are exact and live in KV.
import { TOKEN_REFUSALS } from './tokens/token-refusals.ts';

export const REASONS = [
  'oversize',
  'json',
  'schema',
  'window',
  'ratelimit',
  // A message that needed a token and had no valid, unspent one (docs/TRUST.md).
  ...TOKEN_REFUSALS,
] as const;
export type Reason = (typeof REASONS)[number];
/** The KV buckets whose records the aggregator reads (setup.ts); a record that does not fit is skipped. */
export const RECORD_BUCKETS = ['dedup', 'rollups', 'nodes', 'leases'] as const;
export type RecordBucket = (typeof RECORD_BUCKETS)[number];

export class Metrics {
  accepted = { task: 0, heartbeat: 0, activity: 0 };
  rejected = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
  duplicates = 0;
  kvConflicts = 0;
  batchErrors = 0;
  statsPublished = 0;
  feedsPublished = 0;
  /** Records read from a bucket and skipped: a foreign key, not JSON, or JSON of the wrong shape. */
  skipped = Object.fromEntries(RECORD_BUCKETS.map((b) => [b, 0])) as Record<RecordBucket, number>;
  /** Messages in the ingest stream not yet acknowledged (pending + in flight), from the consumer's info. */
  consumerLag = 0;
  /** When the consumer's info behind `consumerLag` was asked for (ms since the epoch); 0 before the first. */
  consumerLagAskedAt = 0;
  /** Node records in this instance's mirror, and those evicted from it to make room (set when read). */
  nodesHeld = 0;
  nodesEvicted = 0;
  /** Counted messages a nats-server crash left in the ingest stream, deleted (leftovers.ts). */
  leftoversRemoved = 0;

  reject(reason: Reason): void {
    this.rejected[reason]++;
  }

  skip(bucket: RecordBucket): void {
    this.skipped[bucket]++;
  }

  text(): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP truwatch_${name} ${help}`, `# TYPE truwatch_${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`truwatch_${name}${labels} ${value}`);
    };
    metric('accepted_total', 'counter', 'Messages counted, by type.', [
      ['{type="task"}', this.accepted.task],
      ['{type="heartbeat"}', this.accepted.heartbeat],
      ['{type="activity"}', this.accepted.activity],
    ]);
    metric(
      'rejected_total',
      'counter',
      'Messages refused, by reason.',
      REASONS.map((r) => [`{reason="${r}"}`, this.rejected[r]]),
    );
    metric('duplicates_total', 'counter', 'Task messages whose key was already counted.', [
      ['', this.duplicates],
    ]);
    metric('kv_conflicts_total', 'counter', 'Compare-and-set updates retried after a concurrent write.', [
      ['', this.kvConflicts],
    ]);
    metric('batch_errors_total', 'counter', 'Batches left unacknowledged after an error (redelivered).', [
      ['', this.batchErrors],
    ]);
    metric('stats_published_total', 'counter', 'Stats snapshots published by this instance.', [
      ['', this.statsPublished],
    ]);
    metric('feeds_published_total', 'counter', 'Feed messages published by this instance.', [
      ['', this.feedsPublished],
    ]);
    metric(
      'skipped_records_total',
      'counter',
      'Bucket records read and skipped (foreign key, not JSON, wrong shape), by bucket.',
      RECORD_BUCKETS.map((b) => [`{bucket="${b}"}`, this.skipped[b]]),
    );
    metric(
      'nodes_held',
      'gauge',
      'Pseudonym-day records in the memory of this instance (MAX_NODES at most).',
      [['', this.nodesHeld]],
    );
    metric('nodes_evicted_total', 'counter', 'Records evicted from memory to make room for newer ones.', [
      ['', this.nodesEvicted],
    ]);
    metric('consumer_lag', 'gauge', 'Ingest messages not yet acknowledged.', [['', this.consumerLag]]);
    metric(
      'consumer_lag_timestamp_seconds',
      'gauge',
      'When the consumer was asked for consumer_lag (Unix time); it stands still while that fails.',
      [['', this.consumerLagAskedAt / 1000]],
    );
    metric(
      'ingest_leftovers_removed_total',
      'counter',
      'Counted ingest messages a nats-server crash left in the stream, deleted.',
      [['', this.leftoversRemoved]],
    );
    return lines.join('\n') + '\n';
  }
}
