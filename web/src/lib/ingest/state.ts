// What the ingest shows the page: the connection's state, catch-up progress, counters. Made in the worker
// (worker/client.ts), shown by the pages.
import type { Status } from '../../../../protocol/node-events.ts';

/** Catch-up progress (worker/progress.ts measures it). */
export interface IngestProgress {
  /** Entries stored since catching up began. */
  entries: number;
  /** 0–100, when the source knows its size. */
  percent?: number;
  /** Seconds left at the rate seen so far, once there is a rate to go by. */
  etaSeconds?: number;
}

export type IngestStateKind =
  'idle' | 'connecting' | 'catching-up' | 'live' | 'unreachable' | 'unauthorized' | 'stopped';

export interface IngestCounters {
  /** Valid entries stored. */
  entries: number;
  /** applyEntries transactions. */
  batches: number;
  /** Entries (and statuses) that did not fit the contract, skipped. */
  invalid: number;
  /** Connections opened after the first one. */
  reconnects: number;
}

export interface IngestState {
  kind: IngestStateKind;
  /** While catching up. */
  progress?: IngestProgress;
  /** Why the last connection ended, when it failed. */
  lastError?: string;
  /** While unreachable: the wait before the next attempt. */
  nextRetryMs?: number;
  /** The sidecar's latest status of its log source (backfill, live, waiting for the container, …). */
  source?: Status;
  counters: IngestCounters;
}
