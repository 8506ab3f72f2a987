import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { DEFAULT_THRESHOLDS } from './judge.ts';
import { HealthTracker } from './tracker.ts';

const MIN = 60_000;
const entry = (ts: number, kind: Entry['kind'], more: Partial<Entry> = {}): Entry => ({
  id: `o.${ts}`,
  ts: new Date(ts).toISOString(),
  level: 'info',
  kind,
  message: '',
  stream: 'stdout',
  ...more,
});

describe('the health tracker', () => {
  it('says since when the verdict and each reason hold, and recovers', () => {
    let now = Date.parse('2026-12-06T12:00:00Z');
    const tracker = new HealthTracker({ source: 'file', state: 'connecting' }, DEFAULT_THRESHOLDS, () => now);
    tracker.observeEntry(entry(now - 2 * 60 * MIN, 'task.received'));
    tracker.observeStatus({ source: 'file', state: 'live' });
    // The last entry is two hours old: stale since it passed the 30-minute threshold, noticed now.
    let health = tracker.health();
    expect(health.verdict).toBe('degraded');
    expect(health.reasons.map((r) => r.code)).toEqual(['stale']);
    expect(health.reasons[0]!.since).toBe(new Date(now - 90 * MIN).toISOString());
    expect(health.since).toBe(health.reasons[0]!.since);
    expect(health.lastEntryAt).toBe(new Date(now - 2 * 60 * MIN).toISOString());

    now += MIN;
    tracker.observeStatus({ source: 'file', state: 'waiting', detail: 'runner.log is not there' });
    health = tracker.health();
    expect(health).toMatchObject({ verdict: 'down', since: new Date(now).toISOString() });
    expect(health.reasons).toEqual([
      expect.objectContaining({ code: 'source', since: new Date(now).toISOString() }),
    ]);

    now += MIN;
    tracker.observeStatus({ source: 'file', state: 'live' });
    tracker.observeEntry(entry(now, 'message'));
    expect(tracker.health()).toMatchObject({
      verdict: 'healthy',
      since: new Date(now).toISOString(),
      reasons: [],
    });
  });

  it("counts the last hour's outcomes only, and container starts in the restart window", () => {
    let now = Date.parse('2026-12-06T12:00:00Z');
    const tracker = new HealthTracker({ source: 'docker', state: 'live' }, DEFAULT_THRESHOLDS, () => now);
    tracker.observeStatus({ source: 'docker', state: 'live' });
    for (let i = 0; i < 8; i++)
      tracker.observeOutcome(entry(now - 90 * MIN, 'task.metrics', { outcome: 'failed' }));
    for (let i = 0; i < 2; i++) {
      tracker.observeOutcome(entry(now - 10 * MIN, 'task.metrics', { outcome: 'failed' }));
      tracker.observeOutcome(entry(now - 5 * MIN, 'task.completed', { outcome: 'completed' }));
    }
    tracker.observeEntry(entry(now, 'task.received'));
    // 2 failed of 4 in the hour: too few to judge (the 8 failed 90 minutes ago do not count).
    expect(tracker.health().reasons.map((r) => r.code)).toEqual([]);
    tracker.observeOutcome(entry(now, 'task.metrics', { outcome: 'failed' }));
    expect(tracker.health().reasons.map((r) => r.code)).toEqual(['failures']);

    const started = (min: number) => ({
      source: 'docker' as const,
      state: 'live' as const,
      container: {
        name: 'runner-node',
        state: 'running',
        startedAt: new Date(now - min * MIN).toISOString(),
      },
    });
    tracker.observeStatus(started(30));
    tracker.observeStatus(started(8));
    tracker.observeStatus(started(4));
    expect(tracker.health().reasons.map((r) => r.code)).not.toContain('restarting'); // 2 in 10 min
    tracker.observeStatus(started(1));
    expect(tracker.health().reasons.map((r) => r.code)).toContain('restarting');
    now += 20 * MIN;
    tracker.observeEntry(entry(now, 'task.received'));
    expect(tracker.health().reasons.map((r) => r.code)).not.toContain('restarting');
  });
});
