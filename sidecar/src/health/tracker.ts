// Keeps what the health judgement needs of the log and the source (bounded), and since when each reason and the
// verdict hold: the sidecar's answer to "is my node healthy?".
import type { Entry, Status } from '../../../protocol/node-events.ts';
import type { HealthReasonCode, HealthVerdict, NodeHealth } from '../../../protocol/node-health.ts';
import { isoMs } from '../parse/iso-time.ts';
import { judge, type HealthThresholds } from './judge.ts';

const HOUR_MS = 3600_000;
/** Outcomes kept for the last hour's failure share: far more than a node finishes in an hour. */
const MAX_OUTCOMES = 10_000;
const MAX_STARTS = 20;

export class HealthTracker {
  private status: Status;
  private liveSinceMs: number | undefined;
  private firstEntryMs: number | undefined;
  private lastEntryMs: number | undefined;
  private lastTaskMs: number | undefined;
  private registrationRequestedMs: number | undefined;
  private slots: { active?: number; total?: number } = {};
  /** Finished tasks in log order: log time and whether it failed. */
  private readonly outcomes: { ms: number; failed: boolean }[] = [];
  /** Container start times seen (distinct, newest last). */
  private readonly starts: number[] = [];
  private readonly since = new Map<HealthReasonCode, number>();
  private verdict: HealthVerdict = 'healthy';
  private verdictSinceMs: number;
  /** When the verdict last changed (never yet: -Infinity). */
  private changedMs = -Infinity;

  constructor(
    status: Status,
    private readonly thresholds: HealthThresholds,
    private readonly now: () => number = Date.now,
  ) {
    this.status = { source: status.source, state: 'connecting' };
    this.verdictSinceMs = now();
    this.observeStatus(status);
  }

  observeStatus(status: Status): void {
    if (status.state === 'live' && this.status.state !== 'live') this.liveSinceMs = this.now();
    if (status.state !== 'live') this.liveSinceMs = undefined;
    const startedMs = status.container?.startedAt ? Date.parse(status.container.startedAt) : NaN;
    if (!Number.isNaN(startedMs) && !this.starts.includes(startedMs)) {
      this.starts.push(startedMs);
      if (this.starts.length > MAX_STARTS) this.starts.shift();
    }
    this.status = status;
  }

  /** An entry, once (not again when it comes back with more lines). */
  observeEntry(entry: Entry): void {
    const ms = isoMs(entry.ts);
    if (Number.isNaN(ms)) return;
    this.firstEntryMs ??= ms;
    this.lastEntryMs = ms;
    if (entry.kind === 'task.received') this.lastTaskMs = ms;
    if (entry.slots?.total !== undefined)
      this.slots = { active: entry.slots.active, total: entry.slots.total };
    if (entry.kind === 'node.registered')
      this.registrationRequestedMs = entry.message.includes('registered successfully') ? undefined : ms;
  }

  /** An execution's outcome, counted once per execution. */
  observeOutcome(entry: Entry): void {
    const ms = isoMs(entry.ts);
    if (Number.isNaN(ms)) return;
    this.outcomes.push({ ms, failed: entry.outcome === 'failed' });
    if (this.outcomes.length > MAX_OUTCOMES) this.outcomes.shift();
  }

  health(): NodeHealth {
    const nowMs = this.now();
    while (this.outcomes.length && this.outcomes[0]!.ms < nowMs - HOUR_MS) this.outcomes.shift();
    let failed = 0;
    for (const o of this.outcomes) if (o.failed) failed++;
    const judged = judge(
      {
        source: this.status,
        ...(this.liveSinceMs !== undefined && { liveSinceMs: this.liveSinceMs }),
        ...(this.firstEntryMs !== undefined && { firstEntryMs: this.firstEntryMs }),
        ...(this.lastEntryMs !== undefined && { lastEntryMs: this.lastEntryMs }),
        ...(this.lastTaskMs !== undefined && { lastTaskMs: this.lastTaskMs }),
        ...(this.registrationRequestedMs !== undefined && {
          registrationRequestedMs: this.registrationRequestedMs,
        }),
        slots: this.slots,
        lastHour: { completed: this.outcomes.length - failed, failed },
        recentStarts: this.starts.filter((ms) => ms >= nowMs - this.thresholds.restartWindowMs).length,
      },
      this.thresholds,
      nowMs,
    );
    for (const code of this.since.keys()) if (!judged.some((r) => r.code === code)) this.since.delete(code);
    const reasons = judged.map((r) => {
      if (!this.since.has(r.code)) this.since.set(r.code, Math.min(r.sinceMs ?? nowMs, nowMs));
      return { code: r.code, verdict: r.verdict, text: r.text, since: iso(this.since.get(r.code)!) };
    });
    const verdict: HealthVerdict = reasons.some((r) => r.verdict === 'down')
      ? 'down'
      : reasons.length
        ? 'degraded'
        : 'healthy';
    if (verdict !== this.verdict) {
      // Since the reasons behind it began, where that is after the last change (a silence noticed late).
      const began = Math.min(...reasons.filter((r) => r.verdict === verdict).map((r) => Date.parse(r.since)));
      this.verdictSinceMs = verdict === 'healthy' ? nowMs : Math.max(this.changedMs, began);
      this.changedMs = nowMs;
      this.verdict = verdict;
    }
    return {
      verdict,
      since: iso(this.verdictSinceMs),
      reasons,
      ...(this.lastEntryMs !== undefined && { lastEntryAt: iso(this.lastEntryMs) }),
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
