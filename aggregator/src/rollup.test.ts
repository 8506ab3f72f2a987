import { describe, expect, it } from 'vitest';
import { MAX_FEED_TASKS } from '../../protocol/federation.ts';
import { feedMessage } from './publish.ts';
import {
  CHAIN_SKETCH_SIZE,
  MAX_WINDOW_CHAINS,
  addTask,
  emptyRollup,
  feedPriority,
  rollupKey,
  windowOfKey,
  type Rollup,
} from './rollup.ts';
import { hmac, task } from '../../test/support/federation-traffic.ts';
import type { TaskMessage } from '../../protocol/federation.ts';

const priority = feedPriority('a test secret');
const count = (rollup: Rollup, tasks: TaskMessage[]) => {
  for (const t of tasks) addTask(rollup, t, priority(t.key));
  return rollup;
};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** 200 tasks sent ahead by one sender, each of another invented chain. */
const prefill = Array.from({ length: 200 }, (_, i) => task(100_000 + i, { chain: String(900_000 + i) }));

describe('window rollups', () => {
  it('names a window with a KV-safe key and reads it back', () => {
    expect(rollupKey('2026-11-21T10:35:00Z')).toBe('w.20261121T1035');
    expect(windowOfKey('w.20261121T1035')).toBe(Date.parse('2026-11-21T10:35:00Z'));
    expect(windowOfKey('f.20261121T1035')).toBeNaN();
  });

  it('counts every field, caps the feed and the distinct chains', () => {
    const tasks = Array.from({ length: 300 }, (_, i) => task(i, { chain: String(i % 40), cached: i < 10 }));
    const rollup = count(emptyRollup(), tasks);
    expect(rollup.tasks).toBe(300);
    expect(rollup.cached).toBe(10);
    expect(Object.keys(rollup.chains)).toHaveLength(MAX_WINDOW_CHAINS + 1);
    expect(sum(rollup.chains)).toBe(300);
    // chains 0–30 are seen first; 31–39 (9 of every 40 tasks, 7 blocks) never have more tasks than the
    // smallest named chain, so they are counted as other
    expect(rollup.chains.other).toBe(63);
    expect(rollup.feed).toHaveLength(MAX_FEED_TASKS);
    const feed = feedMessage(rollup, '2026-11-21T10:35:00Z');
    expect(feed.more).toBe(100);
    const first = tasks.find((t) => priority(t.key) === rollup.feed[0]![7])!;
    expect(feed.tasks[0]).toEqual({
      window: '2026-11-21T10:35:00Z',
      chain: first.chain,
      kind: first.kind,
      outcome: first.outcome,
      duration: '1-5s',
      steps: '10M-100M',
      memory: '16-64MiB',
      cached: first.cached,
    });
  });

  it('gives a chain cell to the most common chains, not to the first ones', () => {
    const honest = Array.from({ length: 600 }, (_, i) => task(i, { chain: '137' }));
    const rollup = count(emptyRollup(), [...prefill, ...honest]);
    expect(rollup.tasks).toBe(800);
    expect(sum(rollup.chains)).toBe(800);
    expect(Object.keys(rollup.chains)).toHaveLength(MAX_WINDOW_CHAINS + 1);
    // Its guaranteed count: at most the sketch's error (≤ 200 / 64 tasks) short of the truth, never above it.
    expect(rollup.chains['137']).toBeLessThanOrEqual(600);
    expect(rollup.chains['137']).toBeGreaterThanOrEqual(600 - Math.ceil(200 / CHAIN_SKETCH_SIZE));
    expect(rollup.sketch).toHaveLength(CHAIN_SKETCH_SIZE);
    // A window of few chains is exact.
    const exact = count(emptyRollup(), [...prefill.slice(0, 40), ...honest]);
    expect(exact.chains['137']).toBe(600);
    expect(sum(exact.chains)).toBe(640);
  });

  it('ranks chains that come and go: cells follow the counts, their sum stays exact', () => {
    const tasks: TaskMessage[] = [];
    // 50 chains with 1..50 tasks each, interleaved with 500 invented chains of one task each
    for (let c = 1; c <= 50; c++)
      for (let k = 0; k < c; k++) tasks.push(task(tasks.length, { chain: String(c) }));
    for (let i = 0; i < 500; i++) tasks.splice(i * 3, 0, task(10_000 + i, { chain: String(800_000 + i) }));
    const rollup = count(emptyRollup(), tasks);
    expect(sum(rollup.chains)).toBe(tasks.length);
    const named = Object.keys(rollup.chains).filter((c) => c !== 'other');
    expect(named).toHaveLength(MAX_WINDOW_CHAINS);
    // Every named chain is a real one, and the largest real chains hold cells.
    for (const c of named) expect(Number(c)).toBeLessThanOrEqual(50);
    for (let c = 40; c <= 50; c++) expect(named).toContain(String(c));
    for (const c of named) expect(rollup.chains[c]).toBeLessThanOrEqual(Number(c));
  });

  it('samples the feed uniformly whatever came first, the same in any order, and counts a task once', () => {
    const honest = Array.from({ length: 600 }, (_, i) => task(i, { chain: '137' }));
    const rollup = count(emptyRollup(), [...prefill, ...honest]);
    const inFeed = rollup.feed.filter((e) => e[0] === '137').length;
    // 600 of 800 tasks: 150 of 200 expected (sd ≈ 5); the first-come feed held none
    expect(inFeed).toBeGreaterThan(120);
    expect(inFeed).toBeLessThan(180);
    const reversed = count(emptyRollup(), [...honest, ...prefill].reverse());
    expect(reversed.feed).toEqual(rollup.feed);
    const again = structuredClone(rollup);
    for (const t of honest) {
      const p = priority(t.key);
      if (rollup.feed.some((e) => e[7] === p)) addTask(again, t, p);
    }
    expect(again.feed).toEqual(rollup.feed);
    // Another secret, another sample
    const other = feedPriority('another secret');
    const resampled = emptyRollup();
    for (const t of [...prefill, ...honest]) addTask(resampled, t, other(t.key));
    expect(resampled.feed.map((e) => e[7])).not.toEqual(rollup.feed.map((e) => e[7]));
    expect(priority(hmac('x'))).toBe(priority(hmac('x')));
  });

  it('keeps a window record small: sketch and feed bounded, however many chains', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => task(i, { chain: String(i) }));
    const rollup = count(emptyRollup(), many);
    expect(rollup.sketch).toHaveLength(CHAIN_SKETCH_SIZE);
    expect(rollup.feed).toHaveLength(MAX_FEED_TASKS);
    expect(JSON.stringify(rollup).length).toBeLessThan(30 * 1024);
  });
});
