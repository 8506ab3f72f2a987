// The federation's state as the pages and the sidecar's status API see it.
import type { FedState } from './connection.ts';
import type { Consent, FederationSettings } from './settings.ts';
import type { Counters } from './store.ts';

export interface FederationStatus {
  enabled: boolean;
  consent: Consent;
  state: FedState;
  /** Today's pseudonym (what heartbeats carry), once an identity exists. */
  nodeId: string | null;
  counters: Counters;
  /** Finished tasks waiting for a connection. */
  pending: number;
  settings: FederationSettings;
  /** False in a tab that shows the state of federation running in another tab. */
  leader: boolean;
}

/** The body the PWA sends to the sidecar (PUT /api/federation/status), as `curl … | jq` users read it. */
export function sidecarReport(status: FederationStatus) {
  const { counters } = status;
  return {
    enabled: status.enabled,
    connected: status.state === 'CONNECTED',
    state: status.state,
    nodeId: status.nodeId,
    stats: {
      sent: counters.sent,
      refused: counters.refused,
      errors: counters.errors,
      lastError: counters.lastError ? `${counters.lastError.code}: ${counters.lastError.message}` : null,
    },
  };
}
