// The finished tasks federation anonymizes, as the monitor database holds them: which tasks finished in a span of
// time, those tasks by id, and the latest one (the opt-in page's sample). Federation reads the monitor database
// only through db/ queries like these and node-activity.ts.
import { unwrap } from 'idb';
import { between, getMany, values } from './idb.ts';
import type { TaskRecord, TruwatchDb } from './schema.ts';

/** The execution ids of the tasks that finished from `fromMs` to `toMs`, both included, oldest first. */
export function finishedTaskIds(db: TruwatchDb, fromMs: number, toMs: number): Promise<string[]> {
  return db.getAllKeysFromIndex('tasks', 'finishedMs', between(fromMs, toMs, false, false));
}

/** The tasks of `ids`, in their order, read in one transaction (undefined for an id no longer stored). */
export function tasksById(db: TruwatchDb, ids: string[]): Promise<(TaskRecord | undefined)[]> {
  return getMany(db.transaction('tasks').store, ids);
}

/** The task that finished last, if any. */
export async function lastFinishedTask(db: TruwatchDb): Promise<TaskRecord | undefined> {
  const [last] = await values<TaskRecord>(unwrap(db.transaction('tasks').store.index('finishedMs')), null, {
    reverse: true,
    limit: 1,
  });
  return last;
}
