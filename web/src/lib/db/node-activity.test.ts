import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from './derive.ts';
import { nodeActivity } from './node-activity.ts';
import type { NodeRecord } from './schema.ts';
import { deleteDb, freshDb, putAll, taskRecord } from '../../../../test/support/monitor-db.ts';

const NOW = Date.UTC(2026, 10, 21, 12);
const task = (executionId: string, finishedMs?: number) => taskRecord(executionId, finishedMs, NOW);

describe('node activity', () => {
  it('is nothing in an empty database', async () => {
    const db = await freshDb();
    expect(await nodeActivity(db, NOW)).toEqual({ node: undefined, tasks24h: 0 });
    await deleteDb(db);
  });

  it('gives the node as stored and counts the tasks finished in the 24 hours up to now, both ends included', async () => {
    const db = await freshDb();
    const node: NodeRecord = {
      key: 'node',
      runnerVersion: '2.0.4',
      slots: { active: 2, total: 4, atMs: NOW - 5000, entryId: 'c-9' },
      lastEntryMs: NOW - 5000,
    };
    await db.put('node', node);
    await putAll(db, 'tasks', [
      task('day-old', NOW - DAY_MS),
      task('just-over-a-day', NOW - DAY_MS - 1),
      task('an-hour-ago', NOW - 3_600_000),
      task('now', NOW),
      task('ahead', NOW + 1),
      task('running'),
    ]);
    expect(await nodeActivity(db, NOW)).toEqual({ node, tasks24h: 3 });
    // A day later only 'now' and 'ahead' are in the last 24 hours.
    expect((await nodeActivity(db, NOW + DAY_MS)).tasks24h).toBe(2);
    await deleteDb(db);
  });
});
