// Backups: the whole monitor database as one JSON-serialisable object (never with secrets), and its import,
// validated with valibot and merged by primary key with the same joins that derive the records, so importing is
// idempotent.
import * as v from 'valibot';
import {
  EntrySchema,
  InvoicePaidSchema,
  InvoiceSchema,
  MetricsSchema,
  StatusSchema,
  TaskKindSchema,
} from '../../../../protocol/node-events.ts';
import { EPOCH_KEY, invoicesOfExecutions } from './apply.ts';
import { allEntries, putEntries } from './blocks.ts';
import { mergeInvoices, mergeNodes, mergePayments, mergeTasks, withPayment } from './derive.ts';
import { getMany, inTransaction, writing } from './idb.ts';
import {
  ALL_STORES,
  type InvoiceRecord,
  type MetaRecord,
  type NodeRecord,
  type PaymentRecord,
  type StoredEntry,
  type TaskRecord,
  type TruwatchDb,
  type TruwatchTx,
} from './schema.ts';

export const BACKUP_FORMAT = 'truwatch-backup';

/** Meta keys never exported nor imported; any key naming a token, secret, password or credential is too. */
export const SECRET_META_KEYS: readonly string[] = [
  'token',
  'apiKey',
  'secret',
  'installSecret',
  'taskDataPassword',
];
/** Meta keys of this database's own bookkeeping: never exported nor imported either. */
const LOCAL_META_KEYS: readonly string[] = [EPOCH_KEY];
const SECRET_PATTERN = /token|secret|password|passphrase|credential/i;

export function isSecretMetaKey(key: string): boolean {
  return SECRET_META_KEYS.includes(key) || LOCAL_META_KEYS.includes(key) || SECRET_PATTERN.test(key);
}

const time = v.pipe(v.number(), v.finite());
const id = v.pipe(v.string(), v.minLength(1), v.maxLength(300));
const StampSchema = v.object({ atMs: time, entryId: id });

const StoredEntrySchema = v.object({ ...EntrySchema.entries, tsMs: time });

const TaskRecordSchema = v.object({
  executionId: id,
  status: v.picklist(['received', 'running', 'completed', 'failed']),
  firstSeenMs: time,
  receivedMs: v.optional(time),
  downloadedMs: v.optional(time),
  startedMs: v.optional(time),
  metricsMs: v.optional(time),
  publishedMs: v.optional(time),
  finishedMs: v.optional(time),
  taskId: v.optional(v.string()),
  chainId: v.optional(v.string()),
  blockNumber: v.optional(v.number()),
  kind: v.optional(TaskKindSchema),
  path: v.optional(v.string()),
  metrics: v.optional(MetricsSchema),
  elapsedMs: v.optional(v.number()),
  steps: v.optional(v.number()),
  invoiceId: v.optional(v.string()),
  finishedBy: v.optional(v.string()),
});

// The paid fields a backup may carry are not read: they are derived again from the payments on import.
const InvoiceRecordSchema = v.object({
  ...InvoiceSchema.entries,
  key: id,
  tsMs: time,
  day: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
  entryId: id,
});

const PaymentRecordSchema = v.object({
  key: InvoicePaidSchema.entries.invoiceId,
  tsMs: time,
  txHash: InvoicePaidSchema.entries.txHash,
  entryId: id,
});

const NodeRecordSchema = v.object({
  key: v.literal('node'),
  status: v.optional(StatusSchema),
  runnerVersion: v.optional(v.string()),
  runnerVersionAt: v.optional(StampSchema),
  address: v.optional(v.string()),
  addressAt: v.optional(StampSchema),
  slots: v.optional(
    v.object({ active: v.optional(v.number()), total: v.optional(v.number()), atMs: time, entryId: id }),
  ),
  lastEntryMs: v.optional(time),
});

const BackupSchema = v.object({
  format: v.literal(BACKUP_FORMAT),
  version: v.literal(1),
  exportedAt: v.string(),
  entries: v.array(StoredEntrySchema),
  tasks: v.array(TaskRecordSchema),
  invoices: v.array(InvoiceRecordSchema),
  /** Absent from backups made before paid notices were stored. */
  payments: v.optional(v.array(PaymentRecordSchema), []),
  node: v.nullable(NodeRecordSchema),
  meta: v.array(v.object({ key: v.pipe(v.string(), v.minLength(1)), value: v.unknown() })),
});

export interface Backup {
  format: typeof BACKUP_FORMAT;
  version: 1;
  /** ISO-8601. */
  exportedAt: string;
  entries: StoredEntry[];
  tasks: TaskRecord[];
  invoices: InvoiceRecord[];
  payments: PaymentRecord[];
  node: NodeRecord | null;
  /** Without secrets (isSecretMetaKey). */
  meta: MetaRecord[];
}

/** The whole database, read in one transaction (a consistent snapshot), without secret meta keys. */
export async function exportBackup(db: TruwatchDb, now = new Date()): Promise<Backup> {
  return inTransaction(db.transaction(ALL_STORES, 'readonly'), async (tx) => {
    const [entries, tasks, invoices, payments, node, meta] = await Promise.all([
      allEntries(tx),
      tx.objectStore('tasks').getAll(),
      tx.objectStore('invoices').getAll(),
      tx.objectStore('payments').getAll(),
      tx.objectStore('node').get('node'),
      tx.objectStore('meta').getAll(),
    ]);
    return {
      format: BACKUP_FORMAT,
      version: 1,
      exportedAt: now.toISOString(),
      entries,
      tasks,
      invoices,
      payments,
      node: node ?? null,
      meta: meta.filter((m) => !isSecretMetaKey(m.key)),
    };
  });
}

/** Checks a parsed JSON value is a backup this version reads; throws an Error saying what is wrong. */
export function parseBackup(input: unknown): Backup {
  if (typeof input !== 'object' || input === null || (input as { format?: unknown }).format !== BACKUP_FORMAT)
    throw new Error(`Not a truwatch backup: expected an object with "format": "${BACKUP_FORMAT}".`);
  const version = (input as { version?: unknown }).version;
  if (version !== 1)
    throw new Error(`Unsupported truwatch backup version ${JSON.stringify(version)}: expected 1.`);
  const result = v.safeParse(BackupSchema, input);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue) ?? '(root)';
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more problems)` : '';
    throw new Error(`Invalid truwatch backup at ${path}: ${issue.message}${more}.`);
  }
  // Paid or not is derived again from the payments when the backup is imported.
  const invoices = result.output.invoices.map((r) => ({ ...r, paid: 'unpaid' as const }));
  return { ...result.output, invoices };
}

/**
 * The backup's invoices and paid notices merged with the stored ones, each invoice's paid fields from the
 * merged notice: the invoices to write (the backup's, and stored ones a notice of the backup pays) and the notices.
 */
async function mergeInvoicesAndPayments(
  tx: TruwatchTx,
  backup: Backup,
): Promise<{ invoices: InvoiceRecord[]; payments: PaymentRecord[]; imported: InvoiceRecord[] }> {
  const fromBackup = new Map<string, InvoiceRecord>();
  for (const r of backup.invoices) {
    const prev = fromBackup.get(r.key);
    fromBackup.set(r.key, prev ? mergeInvoices(prev, r) : r);
  }
  const paidInBackup = new Map<string, PaymentRecord>();
  for (const p of backup.payments) {
    const prev = paidInBackup.get(p.key);
    paidInBackup.set(p.key, prev ? mergePayments(prev, p) : p);
  }
  const keys = [...new Set([...fromBackup.keys(), ...paidInBackup.keys()])];
  const [storedInvoices, storedPayments] = await Promise.all([
    getMany(tx.objectStore('invoices'), keys),
    getMany(tx.objectStore('payments'), keys),
  ]);
  const invoices: InvoiceRecord[] = [];
  const payments: PaymentRecord[] = [];
  const imported: InvoiceRecord[] = [];
  keys.forEach((key, i) => {
    const [storedInv, inv] = [storedInvoices[i], fromBackup.get(key)];
    const [storedPay, pay] = [storedPayments[i], paidInBackup.get(key)];
    const payment = storedPay && pay ? mergePayments(storedPay, pay) : (storedPay ?? pay);
    if (pay) payments.push(payment!);
    const base = storedInv && inv ? mergeInvoices(storedInv, inv) : (storedInv ?? inv);
    if (!base) return;
    const next = withPayment(base, payment);
    invoices.push(next);
    if (inv) imported.push(next);
  });
  return { invoices, payments, imported };
}

/**
 * The backup's tasks joined with the stored ones, and invoice links across the two stores: a task new here
 * gets the invoices stored here, a task stored here gets the backup's invoices for it.
 */
async function linkInvoices(
  tx: TruwatchTx,
  imported: TaskRecord[],
  stored: (TaskRecord | undefined)[],
  invoices: InvoiceRecord[],
): Promise<TaskRecord[]> {
  const tasks = new Map(imported.map((t, i) => [t.executionId, stored[i] ? mergeTasks(stored[i], t) : t]));
  const link = (executionId: string, invoiceId: string) => {
    const t = tasks.get(executionId);
    if (t) tasks.set(executionId, mergeTasks(t, { ...t, invoiceId }));
  };
  const created = imported.filter((_, i) => !stored[i]).map((t) => t.executionId);
  const elsewhere = [...new Set(invoices.flatMap((r) => r.executionId ?? []))].filter((id) => !tasks.has(id));
  const [found, local] = await Promise.all([
    invoicesOfExecutions(tx, created),
    getMany(tx.objectStore('tasks'), elsewhere),
  ]);
  for (const t of local) if (t) tasks.set(t.executionId, t);
  for (const r of found) link(r.executionId!, r.key);
  for (const r of invoices) if (r.executionId) link(r.executionId, r.key);
  return [...tasks.values()];
}

export interface ImportResult {
  entries: number;
  tasks: number;
  invoices: number;
  payments: number;
  meta: number;
}

/**
 * Validates a backup (a parsed JSON value) and merges it in one transaction: entries by id (a stored entry
 * stays unless the backup's has more text), tasks, invoices, paid notices and node joined with what is stored, meta keys
 * added only when absent (so the local stream cursor and settings win). Secret meta keys are never imported.
 */
export async function importBackup(db: TruwatchDb, input: unknown): Promise<ImportResult> {
  const backup = parseBackup(input);
  return inTransaction(writing(db, ALL_STORES), async (tx) => {
    const store = {
      tasks: tx.objectStore('tasks'),
      invoices: tx.objectStore('invoices'),
      node: tx.objectStore('node'),
      meta: tx.objectStore('meta'),
    };
    const [tasks, node, meta] = await Promise.all([
      getMany(
        store.tasks,
        backup.tasks.map((t) => t.executionId),
      ),
      store.node.get('node'),
      getMany(
        store.meta,
        backup.meta.map((m) => m.key),
      ),
    ]);
    const textLength = (e: StoredEntry) => e.text?.length ?? 0;
    const distinct = new Map<string, StoredEntry>();
    for (const e of backup.entries) {
      const prev = distinct.get(e.id);
      if (!prev || textLength(e) > textLength(prev)) distinct.set(e.id, e);
    }
    const { written } = await putEntries(
      tx,
      [...distinct.values()],
      (old, e) => textLength(e) > textLength(old),
    );
    const merged = await mergeInvoicesAndPayments(tx, backup);
    const newTasks = await linkInvoices(tx, backup.tasks, tasks, merged.imported);
    const newMeta = backup.meta.filter((m, i) => !meta[i] && !isSecretMetaKey(m.key));
    await Promise.all(newTasks.map((t) => store.tasks.put(t)));
    await Promise.all([
      ...merged.invoices.map((r) => store.invoices.put(r)),
      ...merged.payments.map((p) => tx.objectStore('payments').put(p)),
    ]);
    if (backup.node) {
      // The status is the stream's latest word on the container: the backup's is out of date.
      const { status: _status, ...facts } = backup.node;
      await store.node.put(mergeNodes(node ?? { key: 'node' }, facts));
    }
    await Promise.all(newMeta.map((m) => store.meta.put(m)));
    return {
      entries: written.length,
      tasks: newTasks.length,
      invoices: merged.imported.length,
      payments: merged.payments.length,
      meta: newMeta.length,
    };
  });
}
