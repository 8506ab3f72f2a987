import { describe, expect, it } from 'vitest';
import type { StatsMessage } from '../../protocol/federation.ts';
import { WINDOW_MS, windowOf } from '../../protocol/federation.ts';
import { useAggregator } from '../../test/support/aggregator-fixture.ts';
import {
  SUBJECTS,
  getJson,
  heartbeat,
  monitorConnection,
  publishAll,
  task,
} from '../../test/support/federation-traffic.ts';
import { poll } from '../../test/support/poll.ts';

describe('the aggregator counts exactly', () => {
  const fixture = useAggregator();

  it('counts tasks with duplicates and out-of-order windows once each', async () => {
    const now = Date.now();
    const windows = [0, 3, 1, 40, 2, 300].map((n) => windowOf(now - n * WINDOW_MS));
    const tasks = Array.from({ length: 3000 }, (_, i) => task(i, { window: windows[i % windows.length]! }));
    const duplicates = tasks.filter((_, i) => i % 4 === 0);
    const nc = await monitorConnection(fixture.server().url);
    await publishAll(nc, SUBJECTS.task, [...tasks, ...duplicates, ...duplicates.slice(0, 100)]);
    await publishAll(nc, SUBJECTS.heartbeat, [
      heartbeat(1),
      heartbeat(2),
      heartbeat(3),
      heartbeat(4, { region: 'AS' }),
    ]);
    await nc.close();

    const stats = await poll(
      '3000 tasks and 4 active nodes',
      () => getJson<StatsMessage>(`${fixture.aggregator().httpUrl}/api/stats`),
      (s) => s.tasks.last7d >= 3000 && s.activeNodes === 4,
    );
    const current = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const within = (windows: number) =>
      tasks.filter((t) => Date.parse(t.window) > current - windows * WINDOW_MS);
    const day = within(288);
    expect(stats.tasks).toEqual({ lastHour: within(12).length, last24h: day.length, last7d: 3000 });
    expect(stats.nodesToday).toBe(4);
    expect(stats.regions).toEqual({ EU: 3, other: 1 });
    expect(stats.versions).toEqual({ '1.2': 4 });
    const failed = day.filter((t) => t.outcome === 'failed').length;
    expect(stats.outcomes).toEqual({ completed: day.length - failed, failed });
    expect(stats.chains).toEqual({
      '1': day.filter((t) => t.chain === '1').length,
      '137': day.filter((t) => t.chain === '137').length,
      '11155111': day.filter((t) => t.chain === '11155111').length,
    });
    // The duplicates share the stream's last batch with the heartbeats: their claims may finish after the
    // snapshot above was read.
    await poll(
      'the duplicates counted as such',
      async () => fixture.aggregator().metrics.duplicates,
      (n) => n >= duplicates.length + 100,
    );
  });
});
