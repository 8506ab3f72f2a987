// The federation's state as the worker tells it to the pages (and, as a report, to the sidecar:
// worker/sidecar-report.ts).
import type { FederationState } from '../../../../protocol/federation-status.ts';
import type { Consent, FederationSettings } from './settings.ts';
import type { FedError } from './codes.ts';

export interface FederationStatus {
  enabled: boolean;
  consent: Consent;
  state: FederationState;
  /** Today's pseudonym (what heartbeats carry), once an identity exists. */
  nodeId: string | null;
  counters: Counters;
  /** Finished tasks waiting for a connection. */
  pending: number;
  /** When the connection is tried next, while it waits to retry (RECONNECTING, ERROR). */
  retryAtMs: number | null;
  settings: FederationSettings;
  /** False in a tab that shows the state of federation running in another tab. */
  leader: boolean;
  /** The anonymous tokens (docs/TRUST.md), while an issuer is set. */
  tokens: TokenStatus | null;
}

/** The stock of anonymous tokens and its fetches. */
export interface TokenStatus {
  /** Tokens of each kind in the stock, usable now. */
  presence: number;
  task: number;
  /** When tokens are fetched next. */
  nextFetchMs: number | null;
  /** Whether the issuer's keys are checked against pinned key ids (docs/TRUST.md, "Key consistency"). */
  pinned: boolean;
}

/**
 * The error whose cause is still there, once however often it recurs: `count` times since `sinceMs`, the last
 * at `atMs` with its `message`. It goes when its cause ends (codes.ts, ENDED_BY).
 */
export interface CurrentError extends FedError {
  count: number;
  sinceMs: number;
}

/** What was sent, refused and failed, kept across restarts in federation's database. */
export interface Counters {
  sent: number;
  refused: number;
  /** Every error counted, also those whose cause has ended. */
  errors: number;
  lastError: CurrentError | null;
}

export const NO_COUNTERS: Counters = { sent: 0, refused: 0, errors: 0, lastError: null };
