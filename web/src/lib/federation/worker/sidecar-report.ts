// Federation's state told to the paired sidecar (PUT /api/federation/status, the contract in
// protocol/federation-status.ts), where `curl … | jq .connected` reads it: the report (with the network's figures
// the app last received), and the reporter that sends it on every change (at most once a second) and every 30 s.
import type { StatsMessage } from '../../../../../protocol/federation.ts';
import type { NetworkFigures, StatusReport } from '../../../../../protocol/federation-status.ts';
import type { FederationStatus } from '../status.ts';

/** The last stats message received, as federation's database keeps it. */
export interface ReceivedStats {
  receivedMs: number;
  message: StatsMessage;
}

/** The network-wide counts of a stats message (its series and histograms stay in the app). */
export function networkFigures({ receivedMs, message }: ReceivedStats): NetworkFigures {
  const { at, activeNodes, nodesToday, tasks, outcomes, kinds, regions } = message;
  return {
    at,
    receivedAt: new Date(receivedMs).toISOString(),
    activeNodes,
    nodesToday,
    tasks,
    outcomes,
    kinds,
    regions,
  };
}

/** The sidecar hears of the state on every change, at most this often, and at least this often. */
const REPORT_MIN_MS = 1000;
const REPORT_MAX_MS = 30_000;

/** The body the PWA sends to the sidecar, as `curl … | jq` users read it. */
export function sidecarReport(status: FederationStatus, stats: ReceivedStats | undefined): StatusReport {
  const { counters } = status;
  return {
    enabled: status.enabled,
    connected: status.state === 'CONNECTED',
    state: status.state,
    nodeId: status.nodeId,
    stats: stats ? networkFigures(stats) : null,
    counters: {
      sent: counters.sent,
      refused: counters.refused,
      errors: counters.errors,
      lastError: counters.lastError ? `${counters.lastError.code}: ${counters.lastError.message}` : null,
    },
  };
}

export interface Pairing {
  baseUrl: string;
  token: string;
}

/**
 * Sends `current()` with the `received()` stats to the sidecar: after `changed()` (throttled) and every
 * REPORT_MAX_MS. Nothing without a pairing or a state; failures are ignored (the next report says it again).
 */
export function reporter(
  pairing: Pairing | undefined,
  current: () => FederationStatus | undefined,
  received: () => Promise<ReceivedStats | undefined>,
  fetcher: typeof fetch = (...args) => fetch(...args),
) {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const send = () => {
    timer = undefined;
    last = Date.now();
    const status = current();
    if (!pairing || !status) return;
    void received()
      .catch(() => undefined)
      .then((stats) =>
        fetcher(`${pairing.baseUrl}/api/federation/status`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${pairing.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(sidecarReport(status, stats)),
        }),
      )
      .catch(() => undefined);
  };
  const keepalive = setInterval(send, REPORT_MAX_MS);
  return {
    changed() {
      timer ??= setTimeout(send, Math.max(0, last + REPORT_MIN_MS - Date.now()));
    },
    stop() {
      clearInterval(keepalive);
      clearTimeout(timer);
    },
  };
}
