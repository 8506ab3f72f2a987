// Browser notifications while the app is open (opt-in), on the verdict the sidecar judges (node-health.svelte.ts):
// the node down or degraded, recovered, and the sidecar unreachable. The sidecar's own alerts (NOTIFY_URLS)
// reach the operator with every tab closed; these are for people who keep a tab open.
import type { NodeHealth } from '../../../../protocol/node-health.ts';
import { settings } from './settings.svelte.ts';
import { verdictNotification, type BrowserNotification, type Notified } from './verdict-notification.ts';

const NOTIFIED_KEY = 'truwatch.alerts.notified';

function show(n: BrowserNotification): void {
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    new Notification(n.title, { body: n.body, tag: n.tag });
  }
}

function lastNotified(): Notified | undefined {
  try {
    return (JSON.parse(localStorage.getItem(NOTIFIED_KEY) ?? 'null') as Notified | null) ?? undefined;
  } catch {
    return undefined;
  }
}

/** A verdict from the sidecar: notified when it changed since the last one notified (in any tab). */
export function onVerdict(health: NodeHealth): void {
  const a = settings.value.alerts;
  const last = lastNotified();
  if (last?.verdict === health.verdict) return;
  localStorage.setItem(NOTIFIED_KEY, JSON.stringify({ verdict: health.verdict, since: health.since }));
  if (!a.enabled) return;
  const due = verdictNotification(health, last, a);
  if (due) show(due);
}

let unreachableNotified = false;

/** Whether the sidecar answers (the latest ask for the verdict): notified once when it stops answering. */
export function onReachability(reachable: boolean): void {
  if (reachable) {
    unreachableNotified = false;
    return;
  }
  if (unreachableNotified || !settings.value.alerts.enabled || !settings.value.alerts.unreachable) return;
  unreachableNotified = true;
  show({
    title: 'Sidecar unreachable',
    body: 'The app cannot reach the sidecar.',
    tag: 'truwatch-unreachable',
  });
}

/** Asks for permission (needs a click) and turns alerts on when granted. */
export async function enableAlerts(): Promise<boolean> {
  if (typeof Notification === 'undefined') return false;
  const permission = await Notification.requestPermission();
  settings.update((s) => (s.alerts.enabled = permission === 'granted'));
  return permission === 'granted';
}
