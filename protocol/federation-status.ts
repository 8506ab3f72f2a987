// The app → sidecar federation status report: the body the PWA's federation worker sends with
// `PUT /api/federation/status` (with the token, at most 2 KB), which the sidecar keeps and answers on GET, so an
// operator can `curl … | jq .connected`. Strict like every contract here: a report with one key more is refused.
import * as v from 'valibot';
import { HmacSchema } from './federation.ts';

/** Where the app's federation connection stands (docs/FEDERATION.md, "Status API and error codes"). */
export const FEDERATION_STATES = ['DISABLED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'ERROR'] as const;
export type FederationState = (typeof FEDERATION_STATES)[number];

const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const StatusReportSchema = v.strictObject({
  enabled: v.boolean(),
  connected: v.boolean(),
  state: v.picklist(FEDERATION_STATES),
  /** Today's pseudonym (what heartbeats carry), once an identity exists. */
  nodeId: v.nullable(HmacSchema),
  stats: v.strictObject({
    sent: count,
    refused: count,
    errors: count,
    /** `FED_00x: what happened`, never a message's content. */
    lastError: v.nullable(v.pipe(v.string(), v.maxLength(400))),
  }),
});
export type StatusReport = v.InferOutput<typeof StatusReportSchema>;
