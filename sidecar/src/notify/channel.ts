// What the sidecar's alerts are and what a notification channel does with one. The alerter (alerter.ts) decides
// when an alert is due and retries; a channel only delivers it once, or says why it could not.
import type { Alert } from '../../../protocol/alerts.ts';

export type { Alert };

/**
 * A delivery that did not succeed. `retry: false` when trying again cannot help (a refused token, a bad URL).
 * `retryAfterMs`: how long the receiver asked to be left alone (429 Retry-After), when it said.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface Channel {
  /** The channel's kind: json, ntfy, discord, slack, telegram, mailto. */
  readonly kind: string;
  /** How the channel is shown in /api/status and the alert history: kind and host, never a secret. */
  readonly label: string;
  /** Delivers one alert; throws DeliveryError on failure. Gives up when `signal` aborts (a timeout). */
  send(alert: Alert, signal: AbortSignal): Promise<void>;
}
