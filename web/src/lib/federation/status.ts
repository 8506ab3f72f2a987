// The federation's state as the pages see it (the sidecar gets a report made from it: sidecar-report.ts).
import type { FederationState } from '../../../../protocol/federation-status.ts';
import type { Consent, FederationSettings } from './settings.ts';
import type { Counters } from './federation-db.ts';

export interface FederationStatus {
  enabled: boolean;
  consent: Consent;
  state: FederationState;
  /** Today's pseudonym (what heartbeats carry), once an identity exists. */
  nodeId: string | null;
  counters: Counters;
  /** Finished tasks waiting for a connection. */
  pending: number;
  settings: FederationSettings;
  /** False in a tab that shows the state of federation running in another tab. */
  leader: boolean;
}
