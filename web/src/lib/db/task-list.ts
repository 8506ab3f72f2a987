// The Tasks page's query: filters, search and sorting over 100 000 task records. Filters and orders are worked
// out on index keys (cheap to read); task records are read for the requested page only.
import type { TaskKind } from '../../../../protocol/node-events.ts';
import { between, getMany, indexKeys, indexOf, primaryKeys, request, valuesOf } from './idb.ts';
import type { Page } from './queries.ts';
import type { TaskRecord, TaskStatus, TruwatchDb } from './schema.ts';

export interface TaskFilter {
  status?: TaskStatus;
  chainId?: string;
  kind?: TaskKind;
  /** A range of `firstSeenMs`: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  /** A part of the executionId or of the taskId, anywhere in it, in any case. */
  search?: string;
}

export type TaskSortKey = 'firstSeenMs' | 'finishedMs' | 'elapsedMs' | 'steps';
export interface TaskSort {
  key: TaskSortKey;
  dir: 'asc' | 'desc';
}
export const DEFAULT_TASK_SORT: TaskSort = { key: 'firstSeenMs', dir: 'desc' };

/** A search that finds at most this many tasks is filtered and sorted in memory. */
const SEARCH_IN_MEMORY = 2_000;

const byId = (a: TaskRecord, b: TaskRecord) => (a.executionId < b.executionId ? -1 : 1);

/**
 * The order of every listing: tasks with the sort field by it (ties by executionId, same direction), then
 * tasks without it, newest first. This is the order the indexes give, so both paths agree.
 */
export function compareTasks(sort: TaskSort): (a: TaskRecord, b: TaskRecord) => number {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return (a, b) => {
    if (a.executionId === b.executionId) return 0;
    const x = a[sort.key];
    const y = b[sort.key];
    if (x !== undefined && y !== undefined) return sign * (x - y || byId(a, b));
    if (x !== undefined) return -1;
    if (y !== undefined) return 1;
    return b.firstSeenMs - a.firstSeenMs || byId(b, a);
  };
}

/** How many records of an index are in a range. */
function countIn(index: IDBIndex, range: IDBKeyRange): Promise<number> {
  return request(index.count(range));
}

/**
 * The tasks whose executionId or taskId holds `search`, in any case. An index finds prefixes only, so this scans
 * the ids: every executionId (the store's keys, one read: 65 ms for 20 000 tasks, 320-510 ms for 100 000 in
 * Chromium on a busy 2-core machine, nearly all of it the read; bench/task-search.ts) and each distinct taskId once (one per program the node runs), then the tasks of the
 * taskIds that match.
 */
async function searchKeys(db: TruwatchDb, search: string): Promise<Set<string>> {
  const term = search.toLowerCase();
  const holds = (id: string) => id.toLowerCase().includes(term);
  const [executionIds, taskIds] = await Promise.all([
    db.getAllKeys('tasks'),
    indexKeys<string>(indexOf(db, 'tasks', 'taskId'), null, { unique: true }),
  ]);
  const found = new Set(executionIds.filter(holds));
  const byTaskId = await Promise.all(
    taskIds.filter(holds).map((taskId) => db.getAllKeysFromIndex('tasks', 'taskId', taskId)),
  );
  for (const keys of byTaskId) for (const key of keys) found.add(key);
  return found;
}

/**
 * One page of tasks matching the filter, in the given order (see compareTasks), and the count of all matches.
 * `limit: Infinity` returns everything (exports).
 */
export async function listTasks(
  db: TruwatchDb,
  filter: TaskFilter = {},
  sort: TaskSort = DEFAULT_TASK_SORT,
  offset = 0,
  limit = 100,
): Promise<Page<TaskRecord>> {
  const lo = filter.fromMs ?? -Infinity;
  const hi = filter.toMs ?? Infinity;
  const equal = (['status', 'chainId', 'kind'] as const).filter((k) => filter[k] !== undefined);
  // Tasks in firstSeenMs order within the time range, narrowed by one equality filter through its compound index.
  type Field = (typeof equal)[number];
  const index = (field?: Field) =>
    indexOf(db, 'tasks', field ? (`[${field}+firstSeenMs]` as const) : 'firstSeenMs');
  const range = (field?: Field) =>
    field ? between([filter[field]!, lo], [filter[field]!, hi]) : between(lo, hi);
  const keysIn = (field?: Field, options?: { reverse?: boolean; limit?: number }) =>
    primaryKeys<string>(index(field), range(field), options);
  const read = (keys: string[]) => valuesOf((ks) => getMany(db.transaction('tasks').store, ks), keys);
  const rows = (keys: string[]) => read(keys.slice(offset, offset + limit));
  const found = filter.search ? await searchKeys(db, filter.search) : undefined;
  if (found && found.size <= SEARCH_IN_MEMORY) {
    // A search that finds few tasks: read them, filter and sort in memory (the same order as the indexes).
    const hits = (await read([...found])).filter(
      (t) => equal.every((k) => t[k] === filter[k]) && t.firstSeenMs >= lo && t.firstSeenMs < hi,
    );
    return { count: hits.length, rows: hits.sort(compareTasks(sort)).slice(offset, offset + limit) };
  }
  const sets = await Promise.all(equal.slice(1).map(async (k) => new Set(await keysIn(k))));
  if (found) sets.push(found);

  if (sort.key === 'firstSeenMs') {
    if (!sets.length) {
      const [count, keys] = await Promise.all([
        countIn(index(equal[0]), range(equal[0])),
        keysIn(equal[0], { reverse: sort.dir === 'desc', limit: offset + limit }),
      ]);
      return { count, rows: await rows(keys) };
    }
    const keys = (await keysIn(equal[0])).filter((k) => sets.every((s) => s.has(k)));
    if (sort.dir === 'desc') keys.reverse();
    return { count: keys.length, rows: await rows(keys) };
  }
  const filtered = equal.length > 0 || filter.fromMs !== undefined || filter.toMs !== undefined;
  if (!filtered && !sets.length) {
    // No filter: the page is within the tasks that have the field, unless it reaches past them.
    const [count, keys] = await Promise.all([
      db.count('tasks'),
      primaryKeys<string>(indexOf(db, 'tasks', sort.key), null, {
        reverse: sort.dir === 'desc',
        limit: offset + limit,
      }),
    ]);
    if (keys.length === offset + limit) return { count, rows: await rows(keys) };
  }
  if (filtered) sets.push(new Set(await keysIn(equal[0])));
  const [withField, all] = await Promise.all([
    db.getAllKeysFromIndex('tasks', sort.key),
    db.getAllKeysFromIndex('tasks', 'firstSeenMs'),
  ]);
  if (sort.dir === 'desc') withField.reverse();
  const has = new Set(withField);
  const keys = [...withField, ...all.reverse().filter((k) => !has.has(k))].filter((k) =>
    sets.every((s) => s.has(k)),
  );
  return { count: keys.length, rows: await rows(keys) };
}
