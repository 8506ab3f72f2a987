// The reasons a node is not healthy, judged from what the sidecar observed of its log and its container: a pure
// function of those observations and the time, so each reason is tested on its own.
import type { HealthReasonCode, HealthVerdict } from '../../../protocol/node-health.ts';
import type { Status } from '../../../protocol/node-events.ts';

export interface HealthThresholds {
  /** No entry for this long (log time) is `stale` (HEALTH_STALE_MINUTES). */
  staleMs: number;
  /** No task received for this long while slots are free is `idle` (HEALTH_IDLE_MINUTES). */
  idleMs: number;
  /** More than this share of the last hour's finished tasks failed is `failures` (HEALTH_FAILURE_PERCENT). */
  failureShare: number;
  /** …counted once at least this many finished in the hour. */
  failureMinTasks: number;
  /** This many container starts within `restartWindowMs` is a restart loop. */
  restartLoopStarts: number;
  restartWindowMs: number;
  /** A registration the log has not confirmed after this long is `registration`. */
  registrationMs: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  staleMs: 30 * 60_000,
  idleMs: 2 * 3600_000,
  failureShare: 0.5,
  failureMinTasks: 5,
  restartLoopStarts: 3,
  restartWindowMs: 10 * 60_000,
  registrationMs: 10 * 60_000,
};

export interface HealthObservations {
  source: Status;
  /** When the source last went live (the sidecar's clock): time-based reasons are judged from then on. */
  liveSinceMs?: number;
  /** Log time of the last entry, of the first one, of the last task received. */
  lastEntryMs?: number;
  firstEntryMs?: number;
  lastTaskMs?: number;
  slots: { active?: number; total?: number };
  /** Tasks finished in the last hour (log time). */
  lastHour: { completed: number; failed: number };
  /** Container starts seen within the restart window. */
  recentStarts: number;
  /** A registration requested and not confirmed since (log time). */
  registrationRequestedMs?: number;
}

export interface JudgedReason {
  code: HealthReasonCode;
  verdict: Exclude<HealthVerdict, 'healthy'>;
  text: string;
  /** When it began, where the time says it (a silence began when its threshold passed); else when first seen. */
  sinceMs?: number;
}

export function judge(o: HealthObservations, t: HealthThresholds, nowMs: number): JudgedReason[] {
  const reasons: JudgedReason[] = [];
  const { state, detail, container } = o.source;
  const stopped =
    container && !['running', 'restarting', 'unknown'].includes(container.state) ? container : undefined;
  // A source waiting for a stopped container is said once, by the container's reason.
  if ((state === 'waiting' || state === 'error') && !stopped)
    reasons.push({
      code: 'source',
      verdict: 'down',
      text: `The sidecar cannot read the node's log: ${detail ?? state}`,
    });
  if (stopped)
    reasons.push({
      code: 'container',
      verdict: 'down',
      text:
        stopped.state === 'missing'
          ? `The runner's container "${stopped.name}" does not exist`
          : `The runner's container "${stopped.name}" is ${stopped.state}, not running`,
    });
  if (container?.state === 'restarting' || o.recentStarts >= t.restartLoopStarts)
    reasons.push({
      code: 'restarting',
      verdict: 'down',
      text: `The runner's container restarts in a loop: started ${o.recentStarts} times in the last ${minutes(t.restartWindowMs)}`,
    });
  // The rest needs the log read to its end, and time since: judged while live only.
  if (state !== 'live' || o.liveSinceMs === undefined) return reasons;

  const lastEntryMs = o.lastEntryMs ?? o.liveSinceMs;
  if (nowMs - lastEntryMs > t.staleMs)
    reasons.push({
      code: 'stale',
      verdict: 'degraded',
      text:
        o.lastEntryMs === undefined
          ? `The log has had no entry since the sidecar started reading it, ${ago(nowMs - lastEntryMs)} ago`
          : `No log entry for ${ago(nowMs - lastEntryMs)} (threshold ${minutes(t.staleMs)})`,
      sinceMs: lastEntryMs + t.staleMs,
    });

  const finished = o.lastHour.completed + o.lastHour.failed;
  if (finished >= t.failureMinTasks && o.lastHour.failed / finished > t.failureShare)
    reasons.push({
      code: 'failures',
      verdict: 'degraded',
      text: `${o.lastHour.failed} of the ${finished} tasks finished in the last hour failed (threshold ${Math.round(t.failureShare * 100)} %)`,
    });

  const { active, total } = o.slots;
  const lastTaskMs = o.lastTaskMs ?? o.firstEntryMs ?? o.liveSinceMs;
  if (total !== undefined && total > 0 && (active ?? 0) < total && nowMs - lastTaskMs > t.idleMs)
    reasons.push({
      code: 'idle',
      verdict: 'degraded',
      text: `No task received for ${ago(nowMs - lastTaskMs)} while ${total - (active ?? 0)} of ${total} slots are free`,
      sinceMs: lastTaskMs + t.idleMs,
    });

  const requested = o.registrationRequestedMs;
  if (requested !== undefined && nowMs - requested > t.registrationMs)
    reasons.push({
      code: 'registration',
      verdict: 'down',
      text: `The node requested registration ${ago(nowMs - requested)} ago and the log has not confirmed it`,
      sinceMs: requested + t.registrationMs,
    });
  return reasons;
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/** 45 s, 12 min, 3 h 5 min, 2 d 4 h */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
