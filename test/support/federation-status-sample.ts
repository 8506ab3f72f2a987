// A federation status report as the app sends it to its sidecar (POST /api/federation/status), with the network
// figures it last received: one sample for the protocol's, the sidecar's and the app's tests.
import type { NetworkFigures } from '../../protocol/federation-status.ts';

export function sampleFigures(at: string, receivedAt: string): NetworkFigures {
  return {
    at,
    receivedAt,
    activeNodes: 41,
    nodesToday: 57,
    tasks: { lastHour: 120, last24h: 2400, last7d: 16000 },
    outcomes: { completed: 2300, failed: 100 },
    kinds: { function: 2000, api: 400 },
    regions: { EU: 20, NA: 15, other: 6 },
  };
}

export function sampleReport(stats: NetworkFigures) {
  return {
    enabled: true,
    connected: true,
    state: 'CONNECTED',
    nodeId: '0123456789abcdef0123456789abcdef',
    stats,
    counters: { sent: 12, refused: 1, errors: 0, lastError: null },
  };
}
