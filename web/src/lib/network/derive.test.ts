import { describe, expect, it } from 'vitest';
import {
  chainName,
  describeSeries,
  windowLabel,
  feedMore,
  feedRows,
  histograms,
  hourlySeries,
  isStale,
  ladderRows,
  rankedRows,
  regionRows,
  successRate,
} from './derive.ts';
import { sampleFeed, sampleStats } from '../../../../test/support/network-messages.ts';

describe('rows', () => {
  it('keep a ladder in order with zeros and shares', () => {
    expect(ladderRows({ b: 3, a: 1 }, ['a', 'b', 'c'])).toEqual([
      { key: 'a', label: 'a', count: 1, share: 0.25 },
      { key: 'b', label: 'b', count: 3, share: 0.75 },
      { key: 'c', label: 'c', count: 0, share: 0 },
    ]);
    expect(ladderRows({}, ['a'])).toEqual([{ key: 'a', label: 'a', count: 0, share: 0 }]);
    const { duration, memory } = histograms(sampleStats());
    expect(duration.map((r) => r.key)).toEqual([
      '<1s',
      '1-5s',
      '5-30s',
      '30s-2m',
      '2-10m',
      '10m+',
      'unknown',
    ]);
    expect(memory.find((r) => r.key === '1GiB+')?.count).toBe(0);
  });

  it('rank the largest first, other and unknown last, without empty cells', () => {
    const rows = rankedRows({ other: 50, '137': 5, '1': 9, '10': 0 }, chainName);
    expect(rows.map((r) => r.label)).toEqual(['Ethereum (1)', 'Polygon (137)', 'Other chains']);
    expect(rankedRows({ unknown: 60, other: 50, '2.3': 1, '2.4': 1 }).map((r) => r.key)).toEqual([
      '2.3',
      '2.4',
      'other',
      'unknown',
    ]);
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1);
    expect(chainName('5000')).toBe('chain 5000');
  });

  it('give every continent a row and the rest apart', () => {
    const { continents, rest } = regionRows(sampleStats());
    expect(continents.map((r) => [r.key, r.count])).toEqual([
      ['AF', 0],
      ['AN', 0],
      ['AS', 6],
      ['EU', 14],
      ['NA', 11],
      ['OC', 0],
      ['SA', 3],
    ]);
    expect(continents.find((r) => r.key === 'EU')).toMatchObject({ label: 'Europe', share: 14 / 37 });
    expect(rest.map((r) => [r.key, r.count])).toEqual([
      ['other', 2],
      ['unknown', 1],
    ]);
  });
});

describe('numbers', () => {
  it('success rate over the finished tasks, or none', () => {
    expect(successRate(sampleStats())).toBeCloseTo(4650 / 4812);
    expect(successRate(sampleStats(Date.now(), { outcomes: {} }))).toBeNull();
    expect(successRate(sampleStats(Date.now(), { outcomes: { failed: 2 } }))).toBe(0);
  });

  it('stale after a minute without a newer snapshot', () => {
    const at = Date.parse('2026-11-21T10:00:00Z');
    const stats = sampleStats(at);
    expect(isStale(stats, at + 60_000)).toBe(false);
    expect(isStale(stats, at + 60_001)).toBe(true);
    expect(isStale(undefined, at)).toBe(false);
  });

  it('hourly series in seconds, and a summary for screen readers', () => {
    const series = hourlySeries([
      { hour: '2026-11-21T09:00:00Z', completed: 4, failed: 1, nodes: 3 },
      { hour: '2026-11-21T10:00:00Z', completed: 7, failed: 0, nodes: 5 },
    ]);
    expect(series).toEqual({
      x: [Date.parse('2026-11-21T09:00:00Z') / 1000, Date.parse('2026-11-21T10:00:00Z') / 1000],
      completed: [4, 7],
      failed: [1, 0],
      finished: [5, 7],
      nodes: [3, 5],
    });
    const utc = { timeZone: 'UTC', locale: 'en-GB' } as const;
    expect(describeSeries('Tasks per hour', series.x, series.finished, true, utc)).toBe(
      'Tasks per hour: 12 in 2 hours, highest 7 in the hour from 21/11/2026, 10:00:00 UTC.',
    );
    expect(describeSeries('Nodes', series.x, series.nodes, false, utc)).toBe(
      'Nodes: highest 5 in the hour from 21/11/2026, 10:00:00 UTC.',
    );
    expect(windowLabel('2026-11-21T10:35:00Z', utc)).toBe('10:35–10:40 UTC');
    expect(windowLabel('2026-11-21T10:35:00Z', { locale: 'de-DE' })).toMatch(/^\d\d:35–\d\d:40 \S+$/);
    expect(describeSeries('Nodes', [], [])).toBe('Nodes: no data yet.');
  });
});

describe('feed', () => {
  it('lists the newest tasks first, at most the limit, and what it leaves out', () => {
    const newer = sampleFeed(Date.parse('2026-11-21T10:20:00Z'), 3);
    const older = { ...sampleFeed(Date.parse('2026-11-21T10:10:00Z'), 2), more: 40 };
    const rows = feedRows([newer, older], 4);
    expect(rows.map((r) => r.id)).toEqual([
      '2026-11-21T10:15:00Z#0',
      '2026-11-21T10:15:00Z#1',
      '2026-11-21T10:15:00Z#2',
      '2026-11-21T10:05:00Z#0',
    ]);
    expect(rows[2]).toMatchObject({ outcome: 'failed', chain: '137' });
    expect(feedMore([newer, older])).toBe(40);
  });
});
