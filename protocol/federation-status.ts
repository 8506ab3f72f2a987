// The app → sidecar federation status report: the body the PWA's federation worker sends with
// `PUT /api/federation/status` (with the token, at most 2 KB), which the sidecar keeps and answers on GET, so an
// operator can `curl … | jq .connected`. Strict like every contract here: a report with one key more is refused.
import * as v from 'valibot';
import { HmacSchema, OUTCOMES, OTHER, REGIONS, TASK_KINDS } from './federation.ts';

/** Where the app's federation connection stands (docs/FEDERATION.md, "Status API and error codes"). */
export const FEDERATION_STATES = ['DISABLED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'ERROR'] as const;
export type FederationState = (typeof FEDERATION_STATES)[number];

/** The most bytes a report may have (the sidecar's bound on the PUT body). */
export const MAX_REPORT_BYTES = 2048;

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const timestamp = v.pipe(v.string(), v.maxLength(40), v.isoTimestamp());
const counts = <K extends v.GenericSchema<string, string>>(key: K, maxKeys: number) =>
  v.pipe(
    v.record(key, count),
    v.check((o) => Object.keys(o).length <= maxKeys, `at most ${maxKeys} labels`),
  );

/**
 * The network's figures from the last stats message the app received (protocol/federation.ts, StatsMessage),
 * without its per-hour series, chains and histograms (the aggregator's /api/stats has them): network-wide counts
 * only, nothing about any one node.
 */
export const NetworkFiguresSchema = v.strictObject({
  /** When the aggregator computed them, and when the app received them. */
  at: timestamp,
  receivedAt: timestamp,
  activeNodes: count,
  nodesToday: count,
  tasks: v.strictObject({ lastHour: count, last24h: count, last7d: count }),
  outcomes: counts(v.picklist(OUTCOMES), OUTCOMES.length),
  kinds: counts(v.picklist(TASK_KINDS), TASK_KINDS.length),
  /** Active nodes by region, as the aggregator merged them (small cells in `other`). */
  regions: counts(v.picklist([...REGIONS, OTHER, 'unknown']), REGIONS.length + 2),
});
export type NetworkFigures = v.InferOutput<typeof NetworkFiguresSchema>;

export const StatusReportSchema = v.strictObject({
  enabled: v.boolean(),
  connected: v.boolean(),
  state: v.picklist(FEDERATION_STATES),
  /** Today's pseudonym (what heartbeats carry), once an identity exists. */
  nodeId: v.nullable(HmacSchema),
  /** The network's figures the app last received; null before any (or when it does not receive). */
  stats: v.nullable(NetworkFiguresSchema),
  /** What the app itself sent, had refused and failed. */
  counters: v.strictObject({
    sent: count,
    refused: count,
    errors: count,
    /** `FED_00x: what happened`, never a message's content. */
    lastError: v.nullable(v.pipe(v.string(), v.maxLength(400))),
  }),
});
export type StatusReport = v.InferOutput<typeof StatusReportSchema>;
