// Test support only (imported by *.test.ts, never by the app): entries from the sidecar's real parser over the
// sample log and over generated logs with their ground truth, fresh databases, seeded shuffles, dumps.
import { readFileSync } from 'node:fs';
import type { Entry } from '../../protocol/node-events.ts';
import type { TruthExecution, TruthInvoice } from '../../sidecar/src/demo/generator.ts';
import { generatedLog } from '../../sidecar/src/demo/log-text.ts';
import { parseText } from './parse-text.ts';
import { deleteDB, type IDBPDatabase, type StoreNames, type StoreValue } from 'idb';
import { allEntries } from '../../web/src/lib/db/blocks.ts';
import { openTruwatchDb } from '../../web/src/lib/db/open.ts';
import type { TaskRecord, TruwatchDb } from '../../web/src/lib/db/schema.ts';

export function freshDb(): Promise<TruwatchDb> {
  return openTruwatchDb(`t-${Math.random().toString(36).slice(2)}`);
}

/** Closes and deletes a test database. */
export async function deleteDb<DB>(db: IDBPDatabase<DB> | undefined): Promise<void> {
  if (!db) return;
  db.close();
  await deleteDB(db.name);
}

/** Puts records into a store of any database, in one transaction. */
export async function putAll<DB, N extends StoreNames<DB>>(
  db: IDBPDatabase<DB>,
  name: N,
  rows: StoreValue<DB, N>[],
): Promise<void> {
  const tx = db.transaction(name, 'readwrite');
  await Promise.all([...rows.map((row) => tx.store.put(row)), tx.done]);
}

/** A task record as derive.ts leaves it: completed at `finishedMs`, or still running without one. */
export function taskRecord(executionId: string, finishedMs?: number, nowMs = Date.now()): TaskRecord {
  return {
    executionId,
    status: finishedMs === undefined ? 'running' : 'completed',
    firstSeenMs: (finishedMs ?? nowMs) - 1000,
    ...(finishedMs !== undefined && { finishedMs }),
  };
}

export function sampleEntries(): Entry[] {
  return parseText(readFileSync(new URL('../fixtures/runner-node-sample.log', import.meta.url), 'utf8'));
}

export interface GeneratedEntries {
  entries: Entry[];
  executions: TruthExecution[];
  invoices: TruthInvoice[];
}

const generatedCache = new Map<string, GeneratedEntries>();

/** A generated log parsed as one text, so every entry has its own cursor; cached per options. */
export function generatedEntries(tasks: number, seed = 3, startMs?: number): GeneratedEntries {
  const cacheKey = `${tasks}/${seed}/${startMs}`;
  const cached = generatedCache.get(cacheKey);
  if (cached) return cached;
  let text = '';
  const executions: TruthExecution[] = [];
  const invoices: TruthInvoice[] = [];
  for (const chunk of generatedLog({ tasks, seed, ...(startMs === undefined ? {} : { startMs }) })) {
    text += chunk.text;
    executions.push(...chunk.truth.executions);
    invoices.push(...chunk.truth.invoices);
  }
  const result = { entries: parseText(text), executions, invoices };
  generatedCache.set(cacheKey, result);
  return result;
}

/** A deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function dump(db: TruwatchDb) {
  return {
    entries: await allEntries(db),
    tasks: await db.getAll('tasks'),
    invoices: await db.getAll('invoices'),
    payments: await db.getAll('payments'),
    node: await db.getAll('node'),
    meta: await db.getAll('meta'),
  };
}
