// Browser notifications while the app is open (opt-in): sidecar unreachable, container stopped, no task for
// N hours, failure rate above X % in the last hour. Each condition alerts once when it starts.
import { session } from './session.svelte.ts';
import { monitorDb } from './monitor-db.svelte.ts';
import { settings } from './settings.svelte.ts';

const HOUR = 3_600_000;
// Not reactive on purpose: which alerts already fired is bookkeeping, not shown.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const active = new Set<string>();

function notify(key: string, on: boolean, title: string, body: string): void {
  if (!on) {
    active.delete(key);
    return;
  }
  if (active.has(key)) return;
  active.add(key);
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    new Notification(title, { body, tag: `truwatch-${key}` });
  }
}

export async function checkAlerts(nowMs = Date.now()): Promise<void> {
  const a = settings.value.alerts;
  if (!a.enabled || !session.pairing) return;
  const state = session.state;
  notify(
    'unreachable',
    a.unreachable && state.kind === 'unreachable',
    'Sidecar unreachable',
    state.lastError ?? '',
  );
  const recent = await monitorDb.recentActivity(nowMs);
  const container = recent.container;
  notify(
    'stopped',
    a.containerStopped && container !== undefined && container !== 'running',
    'Runner container not running',
    `The container is ${container}.`,
  );
  if (a.noTaskHours > 0) {
    const last = recent.lastTaskMs;
    const quiet = last !== undefined && nowMs - last > a.noTaskHours * HOUR;
    notify('quiet', quiet, 'No tasks', `No task arrived for ${a.noTaskHours} hours.`);
  }
  if (a.failureRatePercent > 0) {
    const total = recent.finishedLastHour;
    const rate = total ? (100 * recent.failedLastHour) / total : 0;
    notify(
      'failures',
      total >= 3 && rate > a.failureRatePercent,
      'Tasks failing',
      `${rate.toFixed(0)} % of the last hour's ${total} tasks failed.`,
    );
  }
}

/** Asks for permission (needs a click) and turns alerts on when granted. */
export async function enableAlerts(): Promise<boolean> {
  if (typeof Notification === 'undefined') return false;
  const permission = await Notification.requestPermission();
  settings.update((s) => (s.alerts.enabled = permission === 'granted'));
  return permission === 'granted';
}
