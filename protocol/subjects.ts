// Contract 2, part 1: where federation messages travel on NATS.
// Monitors publish the two ingest subjects; the aggregator publishes stats and feed.

/** The wire version of every federation message (`v`). A new incompatible shape gets a new version and subjects. */
export const PROTOCOL_VERSION = 1;

export const SUBJECTS = {
  /** One finished task execution, published by a monitor (PWA). */
  task: 'truebit.v1.task',
  /** A monitor's heartbeat, every 60 s while federation runs. */
  heartbeat: 'truebit.v1.heartbeat',
  /** The aggregator's statistics snapshot, every 10 s. */
  stats: 'truebit.v1.stats',
  /** Anonymized finished tasks, re-published per closed 5-minute window. */
  feed: 'truebit.v1.feed',
} as const;

/** Subjects a monitor may publish: nothing else is allowed by the server either. */
export const INGEST_SUBJECTS = [SUBJECTS.task, SUBJECTS.heartbeat] as const;

/**
 * The JetStream stream that keeps the latest stats snapshot (one message) and the recent feed, so that a
 * new subscriber reads them at once with a direct get (`$JS.API.DIRECT.GET.<stream>.<subject>`), without
 * waiting for the next publication.
 */
export const LATEST_STREAM = 'TRUEBIT_LATEST';

/** The direct-get subject that answers with the last message stored on `subject` in LATEST_STREAM. */
export function latestSubject(subject: string): string {
  return `$JS.API.DIRECT.GET.${LATEST_STREAM}.${subject}`;
}
