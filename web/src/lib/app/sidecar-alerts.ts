// The sidecar's alert history and its notification channels (GET /api/alerts), for the Alerts page.
import * as v from 'valibot';
import { AlertsResponseSchema, type AlertsResponse } from '../../../../protocol/alerts.ts';
import type { Pairing } from './session.svelte.ts';

export type AlertsAnswer = { ok: true; value: AlertsResponse } | { ok: false; problem: string };

export async function fetchAlerts(pairing: Pairing): Promise<AlertsAnswer> {
  let response: Response;
  try {
    response = await fetch(`${pairing.baseUrl}/api/alerts`, {
      headers: { authorization: `Bearer ${pairing.token}` },
      cache: 'no-store',
    });
  } catch {
    return { ok: false, problem: 'The sidecar cannot be reached.' };
  }
  if (response.status === 404)
    return { ok: false, problem: 'This sidecar keeps no alerts: it is older than this app. Update it.' };
  if (!response.ok) return { ok: false, problem: `The sidecar answered ${response.status}.` };
  const parsed = v.safeParse(AlertsResponseSchema, await response.json().catch(() => undefined));
  if (!parsed.success) return { ok: false, problem: 'The sidecar’s answer is not an alert list.' };
  return { ok: true, value: parsed.output };
}
