import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS as T, judge, type HealthObservations } from './judge.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const MIN = 60_000;
const live: HealthObservations = {
  source: { source: 'docker', state: 'live', container: { name: 'runner-node', state: 'running' } },
  liveSinceMs: NOW - 60 * MIN,
  firstEntryMs: NOW - 5 * 60 * MIN,
  lastEntryMs: NOW - MIN,
  lastTaskMs: NOW - 2 * MIN,
  slots: { active: 1, total: 4 },
  lastHour: { completed: 20, failed: 1 },
  recentStarts: 1,
};
const codes = (o: Partial<HealthObservations>) => judge({ ...live, ...o }, T, NOW).map((r) => r.code);

describe('the health judgement', () => {
  it('finds nothing wrong with a live node that works', () => {
    expect(judge(live, T, NOW)).toEqual([]);
  });

  it("gives the sidecar's own words when it cannot read the log", () => {
    const [reason] = judge(
      { ...live, source: { source: 'file', state: 'waiting', detail: 'waiting for /logs to exist' } },
      T,
      NOW,
    );
    expect(reason).toMatchObject({ code: 'source', verdict: 'down' });
    expect(reason!.text).toContain('waiting for /logs to exist');
  });

  it('is down when the container is not running, or restarts in a loop', () => {
    const container = (state: string) => ({
      source: {
        source: 'docker' as const,
        state: 'live' as const,
        container: { name: 'runner-node', state },
      },
    });
    expect(codes(container('exited'))).toEqual(['container']);
    // The source waits for it to start again: one fact, one reason.
    const waiting = {
      source: { ...container('exited').source, state: 'waiting' as const, detail: 'waiting' },
    };
    expect(codes(waiting)).toEqual(['container']);
    expect(codes(container('missing'))).toEqual(['container']);
    expect(codes(container('restarting'))).toEqual(['restarting']);
    expect(codes({ recentStarts: 3 })).toEqual(['restarting']);
    expect(judge({ ...live, ...container('exited') }, T, NOW)[0]!.text).toContain('is exited, not running');
  });

  it('is degraded when the log is silent past the threshold, since the threshold passed', () => {
    const [stale] = judge({ ...live, lastEntryMs: NOW - 4 * 60 * MIN }, T, NOW);
    expect(stale).toMatchObject({
      code: 'stale',
      verdict: 'degraded',
      sinceMs: NOW - 4 * 60 * MIN + T.staleMs,
    });
    expect(stale!.text).toBe('No log entry for 4 h (threshold 30 min)');
    expect(codes({ lastEntryMs: NOW - 29 * MIN })).toEqual([]);
  });

  it('does not judge silence, failures or idleness before the log is read to its end', () => {
    const backfill = { source: { source: 'file' as const, state: 'backfill' as const }, lastEntryMs: 0 };
    expect(codes(backfill)).toEqual([]);
  });

  it('is degraded when more than half the last hour’s tasks failed, once there are a few', () => {
    expect(codes({ lastHour: { completed: 4, failed: 6 } })).toEqual(['failures']);
    expect(codes({ lastHour: { completed: 5, failed: 5 } })).toEqual([]);
    expect(codes({ lastHour: { completed: 0, failed: 4 } })).toEqual([]);
  });

  it('is degraded when no task comes for long while slots are free, not while all are busy', () => {
    expect(codes({ lastTaskMs: NOW - 3 * 60 * MIN })).toEqual(['idle']);
    expect(codes({ lastTaskMs: NOW - 3 * 60 * MIN, slots: { active: 4, total: 4 } })).toEqual([]);
  });

  it('is down when a registration requested long ago is not confirmed', () => {
    expect(codes({ registrationRequestedMs: NOW - 11 * MIN })).toEqual(['registration']);
    expect(codes({ registrationRequestedMs: NOW - 5 * MIN })).toEqual([]);
  });
});
