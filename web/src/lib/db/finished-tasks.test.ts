import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { finishedTaskIds, lastFinishedTask, tasksById } from './finished-tasks.ts';
import { deleteDb, freshDb, putAll, taskRecord } from '../../../../test/support/monitor-db.ts';

const NOW = Date.UTC(2026, 10, 21, 12);
const task = (executionId: string, finishedMs?: number) => taskRecord(executionId, finishedMs, NOW);

describe('finished tasks', () => {
  it('are none in an empty database', async () => {
    const db = await freshDb();
    expect(await finishedTaskIds(db, 0, NOW)).toEqual([]);
    expect(await lastFinishedTask(db)).toBeUndefined();
    await deleteDb(db);
  });

  it('lists the tasks finished in a span, both ends included, oldest first; reads them by id; knows the last', async () => {
    const db = await freshDb();
    const tasks = [
      task('c', NOW),
      task('a', NOW - 2000),
      task('before', NOW - 2001),
      task('b', NOW - 1000),
      task('after', NOW + 1),
      task('running'),
    ];
    await putAll(db, 'tasks', tasks);
    const ids = await finishedTaskIds(db, NOW - 2000, NOW);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(await tasksById(db, [...ids, 'gone'])).toEqual([tasks[1], tasks[3], tasks[0], undefined]);
    expect(await lastFinishedTask(db)).toEqual(tasks[4]);
    await deleteDb(db);
  });
});
