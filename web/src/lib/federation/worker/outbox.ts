// The outbox: every task that finished inside a sharing period (periods.ts; up to 7 days back) gets one row,
// anonymized when found, with the time it may leave (timing.ts); due rows are published when a connection is up
// and marked sent once the server has them. Tasks that finished outside every period are not considered. A new
// identity drops the pending rows, to be anonymized again under it; a sent row stays as long as its task could
// be considered, so a task is sent once, also when a later opt-in reaches back over it.
import { unwrap } from 'idb';
import { finishedTaskIds, tasksById } from '../../db/finished-tasks.ts';
import { between, inTransaction, request, values } from '../../db/idb.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { TaskMessageSchema } from '../../../../../protocol/federation.ts';
import { taskMessage } from './anonymize.ts';
import { withoutToken, withToken } from './guard.ts';
import type { Identity } from './identity.ts';
import { inPeriods } from './periods.ts';
import { takeTokens, usable } from './tokens.ts';
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
  /** Executions in the outbox: not looked at again. */
  private known = new Set<string>();
  /** Executions that finished outside every period, as the periods were then (`outsideOf`). */
  private outside = new Set<string>();
  private outsideOf = '';
  /** Counts dropPending() calls: a scan that saw it change stores nothing it anonymized under the old identity. */
  private epoch = 0;

  constructor(
    private readonly fed: FederationDb,
    private readonly main: TruwatchDb,
    /** When a task that finished at `finishedMs` may leave. */
    private readonly release: (finishedMs: number) => number,
  ) {}

  async load(): Promise<void> {
    this.known = new Set(await this.fed.db.getAllKeys('outbox'));
    this.outside.clear();
  }

  /** Anonymizes the newly finished tasks; returns how many were queued and how many the guard refused. */
  async scan(
    identity: Identity,
    periods: readonly Period[],
    nowMs: number,
  ): Promise<{ queued: number; refused: OutboxRecord[] }> {
    const epoch = this.epoch;
    const starts = periods.map((p) => p.fromMs);
    if (!starts.length) return { queued: 0, refused: [] };
    // New periods may take in what the old ones left out (an opt-in that reaches back).
    if (JSON.stringify(periods) !== this.outsideOf) {
      this.outside.clear();
      this.outsideOf = JSON.stringify(periods);
    }
    const from = Math.max(nowMs - KEEP_MS, Math.min(...starts));
    const ids = await finishedTaskIds(this.main, from, nowMs + AHEAD_MS);
    const fresh = ids.filter((id) => !this.known.has(id) && !this.outside.has(id));
    let queued = 0;
    const refused: OutboxRecord[] = [];
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const tasks = await tasksById(this.main, fresh.slice(i, i + CHUNK));
      const rows: OutboxRecord[] = [];
      for (const task of tasks) {
        if (!task || task.finishedMs === undefined) continue;
        if (!inPeriods(task.finishedMs, periods)) {
          this.outside.add(task.executionId);
          continue;
        }
        const result = await taskMessage(task, identity);
        if (!result.ok && result.reason === 'not finished') continue;
        const base = { executionId: task.executionId, finishedMs: task.finishedMs };
        rows.push(
          result.ok
            ? { ...base, state: 'pending', json: result.json, releaseMs: this.release(task.finishedMs) }
            : { ...base, state: 'refused', reason: result.reason },
        );
      }
      // A new identity came while this scan ran: the next scan anonymizes these under it. Checked in the turn
      // putRows() makes its transaction in: a dropPending() called later runs its own after it, dropping these too.
      if (this.epoch !== epoch) break;
      for (const row of await this.putRows(rows)) {
        this.known.add(row.executionId);
        if (row.state === 'refused') refused.push(row);
        else queued++;
      }
    }
    return { queued, refused };
  }

  /**
   * Stores the rows but where the execution was sent already (under an identity dropPending() replaced while its
   * rows were being published): a sent task is never queued again. Returns the rows stored.
   */
  private putRows(rows: OutboxRecord[]): Promise<OutboxRecord[]> {
    return inTransaction(this.fed.db.transaction('outbox', 'readwrite'), async (tx) => {
      const stored = await Promise.all(
        rows.map(async (row) => {
          if ((await tx.store.get(row.executionId))?.state === 'sent') return undefined;
          await tx.store.put(row);
          return row;
        }),
      );
      return stored.filter((row) => row !== undefined);
    });
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

  /**
   * Gives each row a task token of its own from the stock (tokens.ts), in one transaction with it; a row keeps the
   * token it has while it is usable, so a re-send carries the same one. Rows are read again in the transaction: one
   * a new identity dropped meanwhile is left out, one another leader gave a token keeps it. Returns the rows that
   * have a token now, their `json` carrying it; the others wait for the stock.
   */
  withTokens(rows: readonly OutboxRecord[], nowMs: number): Promise<OutboxRecord[]> {
    return inTransaction(this.fed.db.transaction(['tokens', 'outbox'], 'readwrite'), async (tx) => {
      const outbox = tx.objectStore('outbox');
      const current = await Promise.all(rows.map((r) => outbox.get(r.executionId)));
      const pending = current.filter((r) => r?.state === 'pending') as OutboxRecord[];
      const ready = pending.filter((r) => r.token && usable(r.token, nowMs));
      const lacking = pending.filter((r) => !ready.includes(r));
      const tokens = await takeTokens(tx.objectStore('tokens'), 'task', lacking.length, nowMs);
      for (const [i, token] of tokens.entries()) {
        const row = lacking[i]!;
        const message = withToken(TaskMessageSchema, row.json ?? '', token);
        // Not expected (the row and the token each passed their checks): the row waits, the token is put back.
        if (!message.ok) {
          await tx.objectStore('tokens').add(token);
          continue;
        }
        const tokened = { ...row, json: message.json, token };
        await outbox.put(tokened);
        ready.push(tokened);
      }
      return ready;
    });
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
   * shows each row's first refusal, so retrying the same rows adds nothing to it. Each row is read again and only
   * its refusal set: what changed meanwhile (a token dropped under another issuer, a row dropped) stays changed.
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
          outbox.get(r.executionId).then((row) => row && outbox.put({ ...row, refusedBy: reason })),
          log.add({ atMs, subject, kind: 'task', json: r.json ?? '', refused: reason }),
        ]),
      );
    });
  }

  /**
   * Forgets the tokens of pending rows, in the rows and their messages (another issuer's would count for nothing;
   * without an issuer they leave as they are): new ones are given.
   */
  async dropTokens(): Promise<void> {
    await inTransaction(this.fed.db.transaction('outbox', 'readwrite'), async (tx) => {
      const pending = await tx.store.index('[state+finishedMs]').getAll(Outbox.pendingRange());
      const tokened = pending.filter((r) => r.token);
      await Promise.all(
        tokened.map(({ token: _, ...row }) =>
          tx.store.put({ ...row, ...(row.json !== undefined && { json: withoutToken(row.json) }) }),
        ),
      );
    });
  }

  /** Forgets pending rows, to be anonymized again (a new identity: their keys were made under the old secret). */
  async dropPending(): Promise<void> {
    this.epoch++;
    const keys = await inTransaction(this.fed.db.transaction('outbox', 'readwrite'), async (tx) => {
      const store = unwrap(tx.store);
      const pending = await request(store.index('[state+finishedMs]').getAllKeys(Outbox.pendingRange()));
      await Promise.all(pending.map((key) => request(store.delete(key))));
      return pending as string[];
    });
    for (const k of keys) this.known.delete(k);
  }
}
