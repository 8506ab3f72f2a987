import { describe, expect, it } from 'vitest';
import { MAX_PUBLISHED_BYTES } from '../../../../protocol/federation.ts';
import { emptyView, MAX_FEED_WINDOWS, mergeFeed, receive } from './model.ts';
import { sampleFeed, sampleStats } from '../../../../test/support/network-messages.ts';

const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('receive', () => {
  it('keeps a valid snapshot and when it arrived', () => {
    const stats = sampleStats(Date.parse('2026-11-21T10:00:07Z'));
    const view = receive(emptyView(), 'stats', bytes(stats), 1234);
    expect(view).toEqual({ stats, statsReceivedMs: 1234, feed: [], invalid: 0 });
  });

  it('never goes back to an older snapshot (the stored one read after a live one)', () => {
    const newer = sampleStats(Date.parse('2026-11-21T10:00:20Z'), { activeNodes: 2 });
    const older = sampleStats(Date.parse('2026-11-21T10:00:10Z'), { activeNodes: 1 });
    const view = receive(receive(emptyView(), 'stats', bytes(newer), 1), 'stats', bytes(older), 2);
    expect(view.stats).toEqual(newer);
    expect(view.statsReceivedMs).toBe(1);
  });

  it('counts and ignores what breaks the contract: extra keys, wrong types, not JSON, oversize', () => {
    const stats = sampleStats();
    let view = receive(emptyView(), 'stats', bytes(stats), 1);
    const bad = [
      bytes({ ...stats, ip: '10.0.0.1' }),
      bytes({ ...stats, activeNodes: '5' }),
      bytes('{"v":1,'),
      new Uint8Array(MAX_PUBLISHED_BYTES + 1),
    ];
    for (const payload of bad) view = receive(view, 'stats', payload, 2);
    view = receive(view, 'feed', bytes({ ...sampleFeed(), tasks: [{ taskId: 'x' }] }), 3);
    expect(view.invalid).toBe(5);
    expect(view.lastInvalid).toMatch(/^feed: tasks/);
    expect(view.stats).toEqual(stats);
    expect(view.feed).toEqual([]);
  });
});

describe('mergeFeed', () => {
  it('puts the newest window first, replaces a window read twice, and keeps at most MAX_FEED_WINDOWS', () => {
    const start = Date.parse('2026-11-21T10:00:00Z');
    let feed = mergeFeed([], sampleFeed(start + 10 * 60_000, 1));
    feed = mergeFeed(feed, sampleFeed(start + 20 * 60_000, 2));
    feed = mergeFeed(feed, sampleFeed(start + 15 * 60_000, 3));
    expect(feed.map((m) => [m.window, m.tasks.length])).toEqual([
      ['2026-11-21T10:15:00Z', 2],
      ['2026-11-21T10:10:00Z', 3],
      ['2026-11-21T10:05:00Z', 1],
    ]);
    feed = mergeFeed(feed, sampleFeed(start + 20 * 60_000, 4));
    expect(feed.map((m) => m.tasks.length)).toEqual([4, 3, 1]);
    for (let i = 0; i < 30; i++) feed = mergeFeed(feed, sampleFeed(start + i * 5 * 60_000, 1));
    expect(feed).toHaveLength(MAX_FEED_WINDOWS);
    expect(feed[0]!.window).toBe('2026-11-21T12:20:00Z');
  });
});
