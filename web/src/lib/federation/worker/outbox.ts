// The outbox: every task that finished while sharing was on (up to 7 days back) gets one row, anonymized
// when found, with the time it may leave (timing.ts); due rows are published when a connection is up and
// marked sent once the server has them.
// Tasks that finished outside a sharing period are never considered, so nothing from before the opt-in leaves.
import { unwrap } from 'idb';
import { finishedTaskIds, tasksById } from '../../db/finished-tasks.ts';
import { between, inTransaction, request, values } from '../../db/idb.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { taskMessage } from './anonymize.ts';
import type { Identity } from './identity.ts';
import { inPeriods } from './periods.ts';
import {
  KEEP_MS,
  type FederationDb,
  type OutboxRecord,
  type Period,
  type SentRecord,
} from './federation-db.ts';

const CHUNK = 500;
/** A node's clock may run ahead of the browser's: finished times up to this far ahead still count. */
const AHEAD_MS = 86_400_000;

export class Outbox {
  /** Executions already decided (in the outbox, or finished outside every period): never looked at again. */
  private known = new Set<string>();

  constructor(
    private readonly fed: FederationDb,
    private readonly main: TruwatchDb,
    /** When a task that finished at `finishedMs` may leave. */
    private readonly release: (finishedMs: number) => number,
  ) {}

  async load(): Promise<void> {
    this.known = new Set(await this.fed.db.getAllKeys('outbox'));
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
    const ids = await finishedTaskIds(this.main, from, nowMs + AHEAD_MS);
    const fresh = ids.filter((id) => !this.known.has(id));
    let queued = 0;
    const refused: OutboxRecord[] = [];
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const tasks = await tasksById(this.main, fresh.slice(i, i + CHUNK));
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
          ? { ...base, state: 'pending', json: result.json, releaseMs: this.release(task.finishedMs) }
          : { ...base, state: 'refused', reason: result.reason };
        rows.push(row);
        if (row.state === 'refused') refused.push(row);
        else queued++;
      }
      await this.putRows(rows);
      for (const row of rows) this.known.add(row.executionId);
    }
    return { queued, refused };
  }

  private async putRows(rows: OutboxRecord[]): Promise<void> {
    await inTransaction(this.fed.db.transaction('outbox', 'readwrite'), (tx) =>
      Promise.all(rows.map((row) => tx.store.put(row))),
    );
  }

  private static pendingRange = () => between(['pending', -Infinity], ['pending', Infinity]);

  /** The oldest pending rows whose release time has come, at most `limit`. */
  due(nowMs: number, limit: number): Promise<OutboxRecord[]> {
    // A row is released after it finished, so only rows finished by now need a look.
    const finished = between(['pending', -Infinity], ['pending', nowMs], false, false);
    return values<OutboxRecord>(
      unwrap(this.fed.db.transaction('outbox').store.index('[state+finishedMs]')),
      finished,
      {
        keep: (row) => (row.releaseMs ?? 0) <= nowMs,
        limit,
      },
    );
  }

  countPending(): Promise<number> {
    return this.fed.db.countFromIndex('outbox', '[state+finishedMs]', Outbox.pendingRange());
  }

  /** Marks rows sent and writes them to the sent log, in one transaction. */
  async markSent(rows: readonly OutboxRecord[], subject: string, atMs: number): Promise<void> {
    const sent: SentRecord[] = rows.map((r) => ({ atMs, subject, kind: 'task', json: r.json ?? '' }));
    await inTransaction(this.fed.db.transaction(['outbox', 'sent'], 'readwrite'), async (tx) => {
      const outbox = tx.objectStore('outbox');
      const log = tx.objectStore('sent');
      await Promise.all([
        ...rows.map((r) => outbox.put({ ...r, state: 'sent' as const })),
        ...sent.map((s) => log.add(s)),
      ]);
    });
  }

  /**
   * Notes the server's refusal of pending rows, which keep waiting (new credentials may be allowed): the sent log
   * shows each row's first refusal, so retrying the same rows adds nothing to it.
   */
  async markRefused(
    rows: readonly OutboxRecord[],
    subject: string,
    reason: string,
    atMs: number,
  ): Promise<void> {
    const first = rows.filter((r) => r.refusedBy === undefined);
    await inTransaction(this.fed.db.transaction(['outbox', 'sent'], 'readwrite'), async (tx) => {
      const outbox = tx.objectStore('outbox');
      const log = tx.objectStore('sent');
      await Promise.all(
        first.flatMap((r) => [
          outbox.put({ ...r, refusedBy: reason }),
          log.add({ atMs, subject, kind: 'task', json: r.json ?? '', refused: reason }),
        ]),
      );
    });
  }

  /** Forgets pending rows, to be anonymized again (a new identity: their keys were made under the old secret). */
  async dropPending(): Promise<void> {
    const keys = await inTransaction(this.fed.db.transaction('outbox', 'readwrite'), async (tx) => {
      const store = unwrap(tx.store);
      const pending = await request(store.index('[state+finishedMs]').getAllKeys(Outbox.pendingRange()));
      await Promise.all(pending.map((key) => request(store.delete(key))));
      return pending as string[];
    });
    for (const k of keys) this.known.delete(k);
  }
}
