// Which browser notification a new health verdict calls for: the same verdict the sidecar alerts on (its
// thresholds, HEALTH_*), so the open app and the sidecar's channels never disagree. Pure, so it is tested alone.
import type { NodeHealth } from '../../../../protocol/node-health.ts';

/** What was last notified (kept in localStorage so a reload or a second tab does not notify it again). */
export interface Notified {
  verdict: NodeHealth['verdict'];
  /** The verdict's `since`: a new spell of the same verdict is a new notification. */
  since: string;
}

export interface VerdictPreferences {
  /** Notify when the node becomes degraded (down always notifies). */
  degraded: boolean;
  /** Notify when it is healthy again. */
  recovered: boolean;
}

export interface BrowserNotification {
  title: string;
  body: string;
  /** One per spell of a verdict: tabs that notify the same spell replace each other's notification. */
  tag: string;
}

/**
 * The notification for `health`, given what was last notified; undefined when none is due. The first verdict a
 * browser ever sees is recorded, not notified: the page shows it.
 */
export function verdictNotification(
  health: NodeHealth,
  last: Notified | undefined,
  preferences: VerdictPreferences,
): BrowserNotification | undefined {
  if (!last || last.verdict === health.verdict) return undefined;
  const tag = `truwatch-verdict-${health.since}`;
  if (health.verdict === 'healthy') {
    return preferences.recovered
      ? { title: 'Node recovered', body: `Healthy again after being ${last.verdict}.`, tag }
      : undefined;
  }
  if (health.verdict === 'degraded' && !preferences.degraded) return undefined;
  return {
    title: `Node ${health.verdict}`,
    body: health.reasons.map((r) => r.text).join('\n'),
    tag,
  };
}
