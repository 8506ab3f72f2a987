// What the monitor's database says about the node right now: its state (container status, slots, runner
// version, as the latest entries and statuses left it) and how many tasks it finished in the last 24 hours.
// Federation's heartbeat and its opt-in sample both say these two things; this is the one query for them.
import { DAY_MS } from './derive.ts';
import { between } from './idb.ts';
import type { NodeRecord, TruwatchDb } from './schema.ts';

export interface NodeActivity {
  node: NodeRecord | undefined;
  /** Tasks finished from 24 hours before `nowMs` to `nowMs`, both included. */
  tasks24h: number;
}

/** Both read in one transaction, so they describe the same moment of the database. */
export async function nodeActivity(db: TruwatchDb, nowMs: number): Promise<NodeActivity> {
  const tx = db.transaction(['node', 'tasks']);
  const [node, tasks24h] = await Promise.all([
    tx.objectStore('node').get('node'),
    tx
      .objectStore('tasks')
      .index('finishedMs')
      .count(between(nowMs - DAY_MS, nowMs, false, false)),
  ]);
  return { node, tasks24h };
}
