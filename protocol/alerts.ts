// The sidecar's alerts (GET /api/alerts, and `notifications` in GET /api/status): what was sent to the operator's
// notification channels when the node's health verdict changed, and how each channel is doing.
import * as v from 'valibot';
import { HEALTH_VERDICTS, HealthReasonSchema } from './node-health.ts';

const iso = v.pipe(v.string(), v.isoTimestamp());
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));

export const AlertSchema = v.object({
  /** Unique and stable across retries and restarts, so a receiver can drop a repeat. */
  id: text(80),
  /** The node's name as the operator knows it (NOTIFY_NODE_NAME, else the container or log directory). */
  node: text(200),
  verdict: v.picklist(HEALTH_VERDICTS),
  previous: v.picklist(HEALTH_VERDICTS),
  /** When the verdict changed (the sidecar's clock). */
  at: iso,
  /** Every reason that holds, in the sidecar's words. */
  reasons: v.array(HealthReasonSchema),
  /** One line: "runner-node is down", "runner-node recovered". */
  title: text(300),
  /** The reasons as plain sentences, one per line. */
  text: text(4000),
});
export type Alert = v.InferOutput<typeof AlertSchema>;

export const DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;

export const DeliverySchema = v.object({
  /** The channel's label: its kind and host, never a secret. */
  channel: text(200),
  /** pending: not delivered yet, tried again at `nextAttemptAt`; failed: given up (see `error`). */
  state: v.picklist(DELIVERY_STATES),
  attempts: v.number(),
  sentAt: v.optional(iso),
  nextAttemptAt: v.optional(iso),
  /** The last failure, in the channel's or the receiver's words. */
  error: v.optional(text(500)),
});
export type Delivery = v.InferOutput<typeof DeliverySchema>;

export const AlertRecordSchema = v.object({ alert: AlertSchema, deliveries: v.array(DeliverySchema) });
export type AlertRecord = v.InferOutput<typeof AlertRecordSchema>;

export const ChannelStatusSchema = v.object({
  kind: text(40),
  label: text(200),
  /** ok: its last delivery succeeded (or none was due yet); failing: its last attempt failed. */
  state: v.picklist(['ok', 'failing']),
  lastSentAt: v.optional(iso),
  failingSince: v.optional(iso),
  lastError: v.optional(text(500)),
  /** Alerts waiting for this channel. */
  pending: v.number(),
});
export type ChannelStatus = v.InferOutput<typeof ChannelStatusSchema>;

/** In GET /api/status, present when NOTIFY_URLS configures at least one channel. */
export const NotificationsStatusSchema = v.object({
  channels: v.array(ChannelStatusSchema),
  /** Verdict changes not alerted because the node flapped (they are in the history as one alert). */
  suppressed: v.number(),
});
export type NotificationsStatus = v.InferOutput<typeof NotificationsStatusSchema>;

/** GET /api/alerts: the newest alerts first (bounded), and the channels. Empty lists when none is configured. */
export const AlertsResponseSchema = v.object({
  channels: v.array(ChannelStatusSchema),
  alerts: v.array(AlertRecordSchema),
});
export type AlertsResponse = v.InferOutput<typeof AlertsResponseSchema>;
