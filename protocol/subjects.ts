// Contract 2, part 1: where federation messages travel on NATS.
// Monitors publish the three ingest subjects; the aggregator publishes stats and feed.

/** The wire version of every federation message (`v`). A new incompatible shape gets a new version and subjects. */
export const PROTOCOL_VERSION = 1;

export const SUBJECTS = {
  /** One finished task execution, published by a monitor (PWA). */
  task: 'truebit.v1.task',
  /** A monitor's heartbeat, every 60 s while federation runs: a monitor of the node is online now. */
  heartbeat: 'truebit.v1.heartbeat',
  /** An hour the node was up, from its own history, published once the hour has passed (up to 7 days late). */
  activity: 'truebit.v1.activity',
  /** The aggregator's statistics snapshot, every 10 s. */
  stats: 'truebit.v1.stats',
  /** Anonymized finished tasks, re-published per closed 5-minute window. */
  feed: 'truebit.v1.feed',
} as const;

/** Subjects a monitor may publish: nothing else is allowed by the server either. */
export const INGEST_SUBJECTS = [SUBJECTS.task, SUBJECTS.heartbeat, SUBJECTS.activity] as const;

/**
 * The JetStream stream that keeps the latest stats snapshot (one message) and the recent feed, in the
 * aggregator's account, so that a new subscriber reads them at once without waiting for the next publication.
 */
export const LATEST_STREAM = 'TRUEBIT_LATEST';

/**
 * The latest-snapshot service: a request on `truebit.v1.latest.stats` (or `.feed`) is answered with the last
 * message stored on `truebit.v1.stats` (or `.feed`) in LATEST_STREAM, or a 404 status when there is none yet.
 * nats/users.conf maps it onto the JetStream direct get in the aggregator's account, where no browser user is.
 */
export const LATEST_SUBJECTS = {
  stats: 'truebit.v1.latest.stats',
  feed: 'truebit.v1.latest.feed',
} as const;

/** The latest-snapshot service's subject for the published `subject` (stats or feed). */
export function latestSubject(subject: typeof SUBJECTS.stats | typeof SUBJECTS.feed): string {
  return subject === SUBJECTS.stats ? LATEST_SUBJECTS.stats : LATEST_SUBJECTS.feed;
}
