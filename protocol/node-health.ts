// The node's health as the sidecar judges it where the log is read (GET /api/status `health`, the SSE `health`
// event): one verdict, every reason that holds, and since when. The app shows it on every page.
import * as v from 'valibot';

export const HEALTH_VERDICTS = ['healthy', 'degraded', 'down'] as const;
export type HealthVerdict = (typeof HEALTH_VERDICTS)[number];

/**
 * Why a node is not healthy: its container is not running or restarts in a loop, the log is silent, the sidecar
 * cannot read it, many tasks fail, no task comes while slots are free, or its registration is not confirmed.
 */
export const HEALTH_REASONS = [
  'container',
  'restarting',
  'source',
  'stale',
  'failures',
  'idle',
  'registration',
] as const;
export type HealthReasonCode = (typeof HEALTH_REASONS)[number];

const iso = v.pipe(v.string(), v.isoTimestamp());

export const HealthReasonSchema = v.object({
  code: v.picklist(HEALTH_REASONS),
  /** What this reason makes of the node on its own. */
  verdict: v.picklist(['degraded', 'down']),
  /** A sentence for people, with the sidecar's own words where it has them. */
  text: v.pipe(v.string(), v.maxLength(500)),
  /** Since when it holds (the sidecar's clock). */
  since: iso,
});
export type HealthReason = v.InferOutput<typeof HealthReasonSchema>;

export const NodeHealthSchema = v.object({
  /** The worst verdict of the reasons; healthy when none holds. */
  verdict: v.picklist(HEALTH_VERDICTS),
  /** Since when the verdict is what it is. */
  since: iso,
  reasons: v.pipe(v.array(HealthReasonSchema), v.maxLength(HEALTH_REASONS.length)),
  /** The last entry's time, for "last entry … ago" beside the verdict. */
  lastEntryAt: v.optional(iso),
});
export type NodeHealth = v.InferOutput<typeof NodeHealthSchema>;
