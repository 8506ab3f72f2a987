// The write side: a batch of entries and everything derived from it (tasks, invoices, node, the stream cursor)
// in one IndexedDB transaction, so the monitor database never holds entries without their consequences or the
// reverse.
import type { Entry, Status } from '../../../../protocol/node-events.ts';
import {
  invoiceRecord,
  isTaskEntry,
  mergeInvoices,
  mergeNodes,
  mergePayments,
  mergeTasks,
  nodeFact,
  paymentRecord,
  sameData,
  taskFact,
  withPayment,
} from './derive.ts';
import { entriesOfExecutions, putEntries } from './blocks.ts';
import { getMany, inTransaction, putAll, writing } from './idb.ts';
import {
  ALL_STORES,
  type InvoiceRecord,
  type NodeRecord,
  type PaymentRecord,
  type StoredEntry,
  type TaskRecord,
  type TruwatchDb,
  type TruwatchTx,
} from './schema.ts';

export const CURSOR_KEY = 'cursor';
export const NODE_KEY = 'node';
/**
 * The history's generation: clearAll() moves it on. A stream reads it with its cursor and writes only while it is
 * the same, so a stream that began before a clear cannot write its position (or its entries) into the emptied
 * database: it would resume after that position and the history before it would never come back.
 */
export const EPOCH_KEY = 'epoch';

/**
 * Entries before this time (ms) were pruned by retention (prune.ts): one that comes again (a resumed stream
 * re-sends its boundary entry) still adds what it says to its task and invoice, but is not stored again.
 */
export const PRUNED_BEFORE_KEY = 'prunedBefore';

/** The database was cleared after the stream began: its entries and cursor belong to the old history. */
export class StaleStreamError extends Error {
  override name = 'StaleStreamError';
  constructor() {
    super('the stored history was cleared: the stream starts again from the beginning');
  }
}

/** The stream's cursor and the history's generation, read together (a clear between two reads would mix them). */
export async function readResumePoint(db: TruwatchDb): Promise<{ cursor: unknown; epoch: number }> {
  const meta = db.transaction('meta').store;
  const [cursor, epoch] = await Promise.all([meta.get(CURSOR_KEY), meta.get(EPOCH_KEY)]);
  return { cursor: cursor?.value, epoch: epochOf(epoch?.value) };
}

export const epochOf = (value: unknown): number => (typeof value === 'number' ? value : 0);

export interface ApplyResult {
  /** Entries stored: new ones, and re-sent ones that replaced a stored version with less text. */
  entries: number;
  /** Entries already stored as they are (a replay), or re-sent with less text than the stored version. */
  unchanged: number;
  /** Entries skipped because their `ts` is not a time. */
  invalid: number;
  /** Task and invoice records written (created or changed). */
  tasks: number;
  invoices: number;
}

const textLength = (e: Entry): number => e.text?.length ?? 0;

/**
 * Stores a batch of entries (already validated against the protocol) with what follows from them, and the
 * stream cursor when given. Idempotent and order-tolerant: any order and any repetition of the same entries
 * gives the same records. An entry re-sent under the same id with at least as much `text` replaces the stored
 * one, and the executions it touches are derived again from their stored entries.
 */
export async function applyEntries(
  db: TruwatchDb,
  entries: Entry[],
  cursor?: string,
  /** The generation the stream began in (readResumePoint): a different one stored refuses the batch. */
  epoch?: number,
): Promise<ApplyResult> {
  const batch = new Map<string, StoredEntry>();
  let invalid = 0;
  for (const e of entries) {
    const tsMs = Date.parse(e.ts);
    if (!Number.isFinite(tsMs)) {
      invalid++;
      continue;
    }
    const prev = batch.get(e.id);
    if (!prev || textLength(e) >= textLength(prev)) batch.set(e.id, { ...e, tsMs });
  }
  const incoming = [...batch.values()];
  return inTransaction(writing(db, ALL_STORES), async (tx) => {
    if (epoch !== undefined && epochOf((await tx.objectStore('meta').get(EPOCH_KEY))?.value) !== epoch)
      throw new StaleStreamError();
    const prunedBefore = (await tx.objectStore('meta').get(PRUNED_BEFORE_KEY))?.value;
    const pruned = typeof prunedBefore === 'number' ? (e: StoredEntry) => e.tsMs < prunedBefore : () => false;
    const put = await putEntries(
      tx,
      incoming.filter((e) => !pruned(e)),
      (old, e) => textLength(e) >= textLength(old) && !sameData(old, e),
    );
    const { replaced, unchanged } = put;
    const written = [...put.written, ...incoming.filter(pruned)];
    const result: ApplyResult = { entries: put.written.length, unchanged, invalid, tasks: 0, invoices: 0 };
    if (written.length) {
      const invoices = await applyInvoices(tx, written, replaced);
      result.invoices = invoices.written;
      result.tasks = await applyTasks(tx, written, replaced, invoices.byExecution);
      await applyNode(tx, written);
    }
    if (cursor !== undefined) await tx.objectStore('meta').put({ key: CURSOR_KEY, value: cursor });
    return result;
  });
}

/**
 * Upserts the batch's invoices and paid notices; drops the record a replaced entry made under a key it no longer
 * has. An invoice's paid fields come from the payments store, so a notice stored before its invoice links when the
 * invoice comes, and a notice after it updates the stored invoice: both orders give the same record.
 */
async function applyInvoices(
  tx: TruwatchTx<'readwrite'>,
  written: StoredEntry[],
  replaced: StoredEntry[],
): Promise<{ written: number; byExecution: Map<string, string> }> {
  const fresh = new Map<string, InvoiceRecord>();
  const freshPayments = new Map<string, PaymentRecord>();
  for (const e of written) {
    const rec = invoiceRecord(e);
    if (rec) {
      const prev = fresh.get(rec.key);
      fresh.set(rec.key, prev ? mergeInvoices(prev, rec) : rec);
    }
    const pay = paymentRecord(e);
    if (pay) {
      const prev = freshPayments.get(pay.key);
      freshPayments.set(pay.key, prev ? mergePayments(prev, pay) : pay);
    }
  }
  if (!fresh.size && !freshPayments.size) return { written: 0, byExecution: new Map() };
  const stale = replaced
    .map(invoiceRecord)
    .filter((r): r is InvoiceRecord => r !== undefined && !fresh.has(r.key));
  // Every invoice key whose record may change: the batch's invoices and the invoices its notices name.
  const keys = [...new Set([...fresh.keys(), ...freshPayments.keys()])];
  const store = tx.objectStore('invoices');
  const paymentStore = tx.objectStore('payments');
  const [existing, storedPayments] = await Promise.all([
    getMany(store, [...keys, ...stale.map((r) => r.key)]),
    getMany(paymentStore, keys),
  ]);
  const paymentPuts: PaymentRecord[] = [];
  const payments = keys.map((key, i) => {
    const cur = storedPayments[i];
    const pay = freshPayments.get(key);
    const next = cur && pay ? mergePayments(cur, pay) : (cur ?? pay);
    if (pay && !sameData(cur, next)) paymentPuts.push(next!);
    return next;
  });
  const puts: InvoiceRecord[] = [];
  const byExecution = new Map<string, string>();
  keys.forEach((key, i) => {
    const cur = existing[i];
    const inv = fresh.get(key);
    const base = cur && inv ? mergeInvoices(cur, inv) : (cur ?? inv);
    // A notice for an invoice not stored (yet, or any more) waits in the payments store.
    if (!base) return;
    const next = withPayment(base, payments[i]);
    if (!cur || !sameData(cur, next)) puts.push(next);
    const id = next.executionId;
    if (inv && id && (byExecution.get(id) ?? '') < key) byExecution.set(id, key);
  });
  const deletes = stale.filter((r, i) => existing[keys.length + i]?.entryId === r.entryId).map((r) => r.key);
  await Promise.all([
    putAll(store, puts),
    putAll(paymentStore, paymentPuts),
    ...deletes.map((key) => store.delete(key)),
  ]);
  return { written: puts.length + deletes.length, byExecution };
}

/**
 * Folds the batch's task entries into the stored task records. Executions touched by a replaced entry are
 * derived again from all their stored entries; a record is only created by a task entry, never by an invoice.
 */
async function applyTasks(
  tx: TruwatchTx<'readwrite'>,
  written: StoredEntry[],
  replaced: StoredEntry[],
  invoiceByExecution: Map<string, string>,
): Promise<number> {
  const replacedIds = new Set(replaced.map((e) => e.id));
  const rederive = new Set<string>();
  for (const e of [...replaced, ...written.filter((w) => replacedIds.has(w.id))])
    if (e.executionId) rederive.add(e.executionId);

  const facts = new Map<string, TaskRecord>();
  const fold = (e: StoredEntry) => {
    if (!isTaskEntry(e)) return;
    const fact = taskFact(e);
    const prev = facts.get(e.executionId);
    facts.set(e.executionId, prev ? mergeTasks(prev, fact) : fact);
  };
  for (const e of written) if (!e.executionId || !rederive.has(e.executionId)) fold(e);
  if (rederive.size) (await entriesOfExecutions(tx, [...rederive])).forEach(fold);

  const ids = [...new Set([...facts.keys(), ...invoiceByExecution.keys()])];
  const tasks = tx.objectStore('tasks');
  const existing = await getMany(tasks, ids);
  const next = new Map<string, TaskRecord>();
  const created: string[] = [];
  ids.forEach((id, i) => {
    const cur = rederive.has(id) ? undefined : existing[i];
    const fact = facts.get(id);
    let rec = cur && fact ? mergeTasks(cur, fact) : (cur ?? fact);
    if (!rec) return;
    const invoiceId = invoiceByExecution.get(id);
    if (invoiceId) rec = mergeTasks(rec, { ...rec, invoiceId });
    if (!cur) created.push(id);
    next.set(id, rec);
  });
  if (created.length) {
    // A task first seen after its invoice: pick up the invoice stored earlier.
    const found = await invoicesOfExecutions(tx, created);
    for (const inv of found) {
      const rec = next.get(inv.executionId!)!;
      next.set(rec.executionId, mergeTasks(rec, { ...rec, invoiceId: inv.key }));
    }
  }
  const puts = ids.flatMap((id, i) => {
    const rec = next.get(id);
    return rec && !sameData(existing[i], rec) ? [rec] : [];
  });
  await putAll(tasks, puts);
  return puts.length;
}

/** The stored invoices of these executions, by execution then key. */
export async function invoicesOfExecutions(tx: TruwatchTx, executionIds: string[]): Promise<InvoiceRecord[]> {
  const index = tx.objectStore('invoices').index('executionId');
  const ids = [...new Set(executionIds)].sort();
  return (await Promise.all(ids.map((id) => index.getAll(id)))).flat();
}

async function applyNode(tx: TruwatchTx<'readwrite'>, written: StoredEntry[]): Promise<void> {
  const node = tx.objectStore('node');
  const cur: NodeRecord = (await node.get(NODE_KEY)) ?? { key: NODE_KEY };
  let next = cur;
  for (const e of written) next = mergeNodes(next, nodeFact(e));
  if (!sameData(cur, next)) await node.put(next);
}

/** Records the latest status event of the stream on the node record. */
export async function applyStatus(db: TruwatchDb, status: Status): Promise<void> {
  await inTransaction(writing(db, ['node']), async (tx) => {
    const node = tx.objectStore('node');
    const cur: NodeRecord = (await node.get(NODE_KEY)) ?? { key: NODE_KEY };
    await node.put({ ...cur, status });
  });
}
