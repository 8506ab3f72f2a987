// The browser side of bench/task-search.ts, bundled for the page with the database code: fills a monitor
// database with tasks and times the Tasks page's search.
import { openTruwatchDb } from '../web/src/lib/db/open.ts';
import { listTasks } from '../web/src/lib/db/task-list.ts';
import { startsWith } from '../web/src/lib/db/idb.ts';

async function run(tasks: number, runs: number) {
  const db = await openTruwatchDb('bench');
  const programs = Array.from({ length: 12 }, (_, i) => `program-${i}/1.${i}`);
  for (let start = 0; start < tasks; start += 5_000) {
    const tx = db.transaction('tasks', 'readwrite');
    for (let i = start; i < Math.min(tasks, start + 5_000); i++)
      void tx.store.put({
        executionId: crypto.randomUUID(),
        status: i % 10 ? 'completed' : 'failed',
        firstSeenMs: 1_700_000_000_000 + i * 1000,
        taskId: programs[i % programs.length],
        elapsedMs: i % 997,
      });
    await tx.done;
  }
  const median = async (once: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    return Number(times.sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(1));
  };
  const [someId] = await db.getAllKeys('tasks', startsWith('a'), 1);
  const middle = someId!.slice(14, 23);
  return {
    found: (await listTasks(db, { search: middle })).count,
    anywhereInExecutionIdMs: await median(() => listTasks(db, { search: middle })),
    endOfTaskIdMs: await median(() => listTasks(db, { search: 'm-7/1.7' }, undefined, 0, 100)),
    readAllIdsMs: await median(() => db.getAllKeys('tasks')),
    prefixThroughIndexMs: await median(() => db.getAllKeys('tasks', startsWith(someId!.slice(0, 8)))),
  };
}

(globalThis as unknown as { run: typeof run }).run = run;
