import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { StatsMessageSchema } from '../../protocol/federation.ts';
import type { Held } from './mirror.ts';
import { nodeKey, type NodeRecord } from './nodes.ts';
import { addTask, emptyRollup, rollupKey } from './rollup.ts';
import { ACTIVE_MS, computeStats, mergeCells, type WindowCounts } from './stats.ts';
import { hmac, task } from '../../test/support/federation-traffic.ts';

const NOW = Date.parse('2026-11-21T10:37:12Z');
const HOUR = 3600_000;

function rollups(windows: [string, number][]): Map<string, Held<WindowCounts>> {
  const map = new Map<string, Held<WindowCounts>>();
  for (const [window, count] of windows) {
    const rollup = emptyRollup();
    for (let i = 0; i < count; i++) addTask(rollup, task(i, { window }), i);
    const { feed: _f, applied: _a, ...counts } = rollup;
    map.set(rollupKey(window), { value: counts, revision: 1 });
  }
  return map;
}

function nodes(list: { ms: number; id: number; r?: string; v?: string; hours?: number }[]) {
  return new Map<string, Held<NodeRecord>>(
    list.map(({ ms, id, r, v: version, hours }) => [
      nodeKey(ms, hmac(`n${id}`)),
      {
        value: {
          l: ms,
          h: hours ?? 1 << new Date(ms).getUTCHours(),
          v: version ?? '1.2',
          ...(r ? { r } : {}),
        },
        revision: 1,
      },
    ]),
  );
}

describe('the stats snapshot', () => {
  it('merges cells under the minimum into other, and keeps at most 32 labels', () => {
    expect(mergeCells({ EU: 5, NA: 3, AS: 2, unknown: 1 }, 3)).toEqual({ EU: 5, NA: 3, other: 3 });
    expect(mergeCells({ EU: 1 }, 3)).toEqual({ other: 1 });
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), 100 - i]));
    const merged = mergeCells(many, 1);
    expect(Object.keys(merged)).toHaveLength(32);
    expect(merged.other).toBe(Array.from({ length: 9 }, (_, i) => 100 - 31 - i).reduce((a, b) => a + b));
  });

  it('sums windows into the last hour, 24 hours and 7 days, and hour by hour', () => {
    const stats = computeStats(
      rollups([
        ['2026-11-21T10:35:00Z', 5], // current window
        ['2026-11-21T09:40:00Z', 3], // 55 min before the current window: last hour
        ['2026-11-21T09:35:00Z', 7], // an hour before: last 24 h
        ['2026-11-14T10:40:00Z', 11], // 7 days minus 5 minutes before: last 7 d
        ['2026-11-14T10:35:00Z', 13], // 7 days before: out
      ]),
      new Map(),
      NOW,
    );
    expect(v.safeParse(StatsMessageSchema, stats).success).toBe(true);
    expect(stats.tasks).toEqual({ lastHour: 8, last24h: 15, last7d: 26 });
    expect(stats.hourly).toHaveLength(169);
    expect(stats.hourly[0]!.hour).toBe('2026-11-14T10:00:00Z');
    expect(stats.hourly.at(-1)).toEqual({
      hour: '2026-11-21T10:00:00Z',
      completed: 5 - 1,
      failed: 1,
      nodes: 0,
    });
    // The series starts with the whole hour 7 days back, both of its windows.
    expect(stats.hourly[0]!.completed + stats.hourly[0]!.failed).toBe(24);
    expect(stats.at).toBe('2026-11-21T10:37:12Z');
  });

  it('counts active nodes (180 s), nodes today, and nodes per hour', () => {
    const stats = computeStats(
      new Map(),
      nodes([
        { ms: NOW - 1000, id: 1, r: 'EU' },
        { ms: NOW - ACTIVE_MS + 1000, id: 2, r: 'EU' },
        { ms: NOW - 10_000, id: 3, r: 'EU', v: '1.3' },
        { ms: NOW - 20_000, id: 4 },
        { ms: NOW - ACTIVE_MS - 1000, id: 5, r: 'NA', hours: (1 << 9) | (1 << 10) },
        { ms: NOW - 12 * HOUR, id: 6, r: 'NA' }, // yesterday
      ]),
      NOW,
    );
    expect(stats.activeNodes).toBe(4);
    expect(stats.nodesToday).toBe(5);
    expect(stats.regions).toEqual({ EU: 3, other: 1 });
    expect(stats.versions).toEqual({ '1.2': 3, other: 1 });
    expect(stats.hourly.at(-1)!.nodes).toBe(5);
    expect(stats.hourly.at(-2)!.nodes).toBe(1);
    expect(stats.hourly.find((h) => h.hour === '2026-11-20T22:00:00Z')!.nodes).toBe(1);
  });
});
