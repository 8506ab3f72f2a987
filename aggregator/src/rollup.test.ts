import { describe, expect, it } from 'vitest';
import { MAX_FEED_TASKS } from '../../protocol/federation.ts';
import { feedMessage } from './publish.ts';
import { MAX_WINDOW_CHAINS, addTask, emptyRollup, rollupKey, windowOfKey } from './rollup.ts';
import { task } from '../../test/support/federation-traffic.ts';

describe('window rollups', () => {
  it('names a window with a KV-safe key and reads it back', () => {
    expect(rollupKey('2026-11-21T10:35:00Z')).toBe('w.20261121T1035');
    expect(windowOfKey('w.20261121T1035')).toBe(Date.parse('2026-11-21T10:35:00Z'));
    expect(windowOfKey('f.20261121T1035')).toBeNaN();
  });

  it('counts every field, caps the feed and the distinct chains', () => {
    const rollup = emptyRollup();
    for (let i = 0; i < 300; i++) addTask(rollup, task(i, { chain: String(i % 40), cached: i < 10 }));
    expect(rollup.tasks).toBe(300);
    expect(rollup.cached).toBe(10);
    expect(Object.keys(rollup.chains)).toHaveLength(MAX_WINDOW_CHAINS + 1);
    expect(Object.values(rollup.chains).reduce((a, b) => a + b)).toBe(300);
    // chains 0–30 are seen first; 31–39 (9 of every 40 tasks, 7 blocks) are counted as other
    expect(rollup.chains.other).toBe(63);
    expect(rollup.feed).toHaveLength(MAX_FEED_TASKS);
    const feed = feedMessage(rollup, '2026-11-21T10:35:00Z');
    expect(feed.more).toBe(100);
    expect(feed.tasks[0]).toEqual({
      window: '2026-11-21T10:35:00Z',
      chain: '0',
      kind: 'api',
      outcome: 'failed',
      duration: '1-5s',
      steps: '10M-100M',
      memory: '16-64MiB',
      cached: true,
    });
  });
});
