// Entries in blocks of consecutive cursors (EntryBlock in schema.ts): writing a batch into them, and reading
// entries back by cursor range, execution or block. Cursors of one source are ordered, so a batch usually lands
// after the last block, and a re-sent entry in the block that holds its cursor.
import { getMany, indexKeys, indexOf, primaryKeys, putAll, storeOf, values } from './idb.ts';
import {
  TIME_INDEX,
  type EntryBlock,
  type Stores,
  type StoredEntry,
  type TimeKey,
  type TruwatchTx,
} from './schema.ts';

/** At most this many entries in a block built from new entries: about 60 KB, under Chromium's 64 KB threshold
 * above which IndexedDB stores a value as a separate file. */
export const BLOCK_ENTRIES = 100;

/** The time-index keys in a range (in time order, or newest first), without reading a block. */
export function timeKeys(
  db: Stores,
  query: IDBKeyRange | null,
  options: { reverse?: boolean; limit?: number } = {},
): Promise<TimeKey[]> {
  return indexKeys<TimeKey>(indexOf(db, 'blocks', TIME_INDEX), query, options);
}

const byId = (a: StoredEntry, b: StoredEntry) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A block of `entries` (sorted by cursor, not empty), with its indexed fields. */
export function blockOf(entries: StoredEntry[]): EntryBlock {
  let fromMs = Infinity;
  let toMs = -Infinity;
  const facets = new Map<string, [string, string, number]>();
  const executions = new Set<string>();
  for (const e of entries) {
    if (e.tsMs < fromMs) fromMs = e.tsMs;
    if (e.tsMs > toMs) toMs = e.tsMs;
    const key = `${e.kind}\u0000${e.level}`;
    const facet = facets.get(key);
    if (facet) facet[2]++;
    else facets.set(key, [e.kind, e.level, 1]);
    if (e.executionId) executions.add(e.executionId);
  }
  return {
    first: entries[0]!.id,
    last: entries.at(-1)!.id,
    fromMs,
    toMs,
    count: entries.length,
    facets: [...facets.values()],
    executions: [...executions],
    entries,
  };
}

/** Sorted entries cut into blocks of BLOCK_ENTRIES. */
export function blocksOf(sorted: StoredEntry[]): EntryBlock[] {
  const blocks: EntryBlock[] = [];
  for (let i = 0; i < sorted.length; i += BLOCK_ENTRIES)
    blocks.push(blockOf(sorted.slice(i, i + BLOCK_ENTRIES)));
  return blocks;
}

/** The index of `id` in sorted entries, or -(insertion point) - 1. */
function search(entries: StoredEntry[], id: string): number {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = entries[mid]!.id;
    if (at < id) lo = mid + 1;
    else if (at > id) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/** The stored blocks whose range [first, last] meets [lo, hi], in cursor order. */
async function blocksTouching(tx: TruwatchTx, lo: string, hi: string): Promise<EntryBlock[]> {
  const last = indexOf(tx, 'blocks', 'last');
  const [inside, after] = await Promise.all([
    primaryKeys<string>(last, IDBKeyRange.bound(lo, hi)),
    primaryKeys<string>(last, IDBKeyRange.lowerBound(hi, true), { limit: 1 }),
  ]);
  // Ranges do not overlap: at most one block ends after hi and starts at or before it.
  const keys = after[0] !== undefined && after[0] <= hi ? [...inside, after[0]] : inside;
  const blocks = await getMany(tx.objectStore('blocks'), keys);
  return blocks.filter((b): b is EntryBlock => b !== undefined);
}

export interface PutResult {
  /** Entries stored: new ones, and stored ones replaced. */
  written: StoredEntry[];
  /** The stored versions that were replaced. */
  replaced: StoredEntry[];
  /** Entries left as stored. */
  unchanged: number;
}

/**
 * Stores entries (distinct cursors) in blocks, inside the caller's read-write transaction (it must cover blocks). An entry whose cursor is stored
 * replaces the stored one when `replaces(stored, incoming)` says so. New cursors inside a block's range go into
 * that block; the others fill the last block up to BLOCK_ENTRIES and then new blocks, never across the range of a
 * stored block, so ranges stay disjoint.
 */
export async function putEntries(
  tx: TruwatchTx<'readwrite'>,
  incoming: StoredEntry[],
  replaces: (stored: StoredEntry, next: StoredEntry) => boolean,
): Promise<PutResult> {
  const result: PutResult = { written: [], replaced: [], unchanged: 0 };
  if (!incoming.length) return result;
  const sorted = [...incoming].sort(byId);
  const lo = sorted[0]!.id;
  const hi = sorted.at(-1)!.id;
  const [touched, [tail]] = await Promise.all([
    blocksTouching(tx, lo, hi),
    values<EntryBlock>(indexOf(tx, 'blocks', 'last'), null, { reverse: true, limit: 1 }),
  ]);

  const dirty = new Set<EntryBlock>();
  const loose: StoredEntry[][] = [[]];
  let b = 0;
  for (const e of sorted) {
    while (b < touched.length && touched[b]!.last < e.id) {
      b++;
      if (loose.at(-1)!.length) loose.push([]); // A stored block lies between: start another run.
    }
    const block = touched[b];
    if (!block || block.first > e.id) {
      loose.at(-1)!.push(e);
      continue;
    }
    const at = search(block.entries, e.id);
    if (at < 0) {
      block.entries.splice(-at - 1, 0, e);
      result.written.push(e);
    } else if (replaces(block.entries[at]!, e)) {
      result.replaced.push(block.entries[at]!);
      block.entries[at] = e;
      result.written.push(e);
    } else {
      result.unchanged++;
      continue;
    }
    dirty.add(block);
  }

  const created: EntryBlock[] = [];
  for (const run of loose) {
    if (!run.length) continue;
    result.written.push(...run);
    let rest = run;
    // Entries after the last stored block fill it first: live entries then share blocks too.
    const open = tail && touched.find((t) => t.first === tail.first);
    const last = open ?? tail;
    if (last && run[0]!.id > last.last && last.entries.length < BLOCK_ENTRIES) {
      const room = BLOCK_ENTRIES - last.entries.length;
      last.entries.push(...run.slice(0, room));
      rest = run.slice(room);
      dirty.add(last);
    }
    created.push(...blocksOf(rest));
  }
  const puts = [...[...dirty].map((block) => blockOf(block.entries)), ...created];
  const blocks = tx.objectStore('blocks');
  await putAll(blocks, puts);
  return result;
}

/** The stored entries of these executions, in cursor order. */
export async function entriesOfExecutions(db: Stores, executionIds: string[]): Promise<StoredEntry[]> {
  if (!executionIds.length) return [];
  const wanted = new Set(executionIds);
  const index = storeOf(db, 'blocks').index('executions');
  const found = await Promise.all([...wanted].map((id) => index.getAll(id)));
  // A block holding several of them is found once per execution.
  const blocks = new Map(found.flat().map((block) => [block.first, block]));
  return [...blocks.values()]
    .sort((a, b) => (a.first < b.first ? -1 : 1))
    .flatMap((block) =>
      block.entries.filter((e) => e.executionId !== undefined && wanted.has(e.executionId)),
    );
}

/** Every stored entry in cursor order (backups and tests: it reads the whole store). */
export async function allEntries(db: Stores): Promise<StoredEntry[]> {
  return (await storeOf(db, 'blocks').getAll()).flatMap((block) => block.entries);
}

/** How many entries are stored, from the block index alone. */
export async function countStoredEntries(db: Stores): Promise<number> {
  const keys = await timeKeys(db, null);
  return keys.reduce((sum, key) => sum + key[3], 0);
}

/** The stored entry with this cursor, if any. */
export async function getEntry(db: Stores, id: string): Promise<StoredEntry | undefined> {
  const block = await storeOf(db, 'blocks').index('last').get(IDBKeyRange.lowerBound(id));
  if (!block || block.first > id) return undefined;
  const at = search(block.entries, id);
  return at < 0 ? undefined : block.entries[at];
}
