// The outbox: every task that finished while sharing was on (up to 7 days back) gets one row, anonymized
// when found; pending rows are published when a connection is up and marked sent once the server has them.
// Tasks that finished outside a sharing period are never considered, so nothing from before the opt-in leaves.
import type { TruwatchDb } from '../db/schema.ts';
import { taskMessage } from './anonymize.ts';
import type { Identity } from './identity.ts';
import { KEEP_MS, type FederationDb, type OutboxRecord, type Period, type SentRecord } from './store.ts';

const CHUNK = 500;
/** A node's clock may run ahead of the browser's: finished times up to this far ahead still count. */
const AHEAD_MS = 86_400_000;

export function inPeriods(ms: number, periods: readonly Period[]): boolean {
  return periods.some((p) => ms >= p.fromMs && (p.toMs === null || ms < p.toMs));
}

export class Outbox {
  /** Executions already decided (in the outbox, or finished outside every period): never looked at again. */
  private known = new Set<string>();

  constructor(
    private readonly fed: FederationDb,
    private readonly main: TruwatchDb,
  ) {}

  async load(): Promise<void> {
    this.known = new Set(await this.fed.outbox.toCollection().primaryKeys());
  }

  /** Anonymizes the newly finished tasks; returns how many were queued and how many the guard refused. */
  async scan(
    identity: Identity,
    periods: readonly Period[],
    nowMs: number,
  ): Promise<{ queued: number; refused: OutboxRecord[] }> {
    const starts = periods.map((p) => p.fromMs);
    if (!starts.length) return { queued: 0, refused: [] };
    const from = Math.max(nowMs - KEEP_MS, Math.min(...starts));
    const keys = await this.main.tasks
      .where('finishedMs')
      .between(from, nowMs + AHEAD_MS, true, true)
      .primaryKeys();
    const fresh = keys.filter((k) => !this.known.has(k));
    let queued = 0;
    const refused: OutboxRecord[] = [];
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const tasks = await this.main.tasks.bulkGet(fresh.slice(i, i + CHUNK));
      const rows: OutboxRecord[] = [];
      for (const task of tasks) {
        if (!task || task.finishedMs === undefined) continue;
        if (!inPeriods(task.finishedMs, periods)) {
          this.known.add(task.executionId);
          continue;
        }
        const result = await taskMessage(task, identity);
        if (!result.ok && result.reason === 'not finished') continue;
        const base = { executionId: task.executionId, finishedMs: task.finishedMs };
        const row: OutboxRecord = result.ok
          ? { ...base, state: 'pending', json: result.json }
          : { ...base, state: 'refused', reason: result.reason };
        rows.push(row);
        if (row.state === 'refused') refused.push(row);
        else queued++;
      }
      await this.fed.outbox.bulkPut(rows);
      for (const row of rows) this.known.add(row.executionId);
    }
    return { queued, refused };
  }

  private pendingRows() {
    return this.fed.outbox.where('[state+finishedMs]').between(['pending', -Infinity], ['pending', Infinity]);
  }

  /** The oldest pending rows. */
  pending(limit: number): Promise<OutboxRecord[]> {
    return this.pendingRows().limit(limit).toArray();
  }

  countPending(): Promise<number> {
    return this.pendingRows().count();
  }

  /** Marks rows sent and writes them to the sent log, in one transaction. */
  async markSent(rows: readonly OutboxRecord[], subject: string, atMs: number): Promise<void> {
    const sent: SentRecord[] = rows.map((r) => ({ atMs, subject, kind: 'task', json: r.json ?? '' }));
    await this.fed.transaction('rw', this.fed.outbox, this.fed.sent, async () => {
      await this.fed.outbox.bulkPut(rows.map((r) => ({ ...r, state: 'sent' as const })));
      await this.fed.sent.bulkAdd(sent);
    });
  }

  /** Forgets pending rows, to be anonymized again (a new identity: their keys were made under the old secret). */
  async dropPending(): Promise<void> {
    const keys = await this.pendingRows().primaryKeys();
    await this.fed.outbox.bulkDelete(keys);
    for (const k of keys) this.known.delete(k);
  }
}
