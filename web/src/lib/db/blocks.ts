// Entries in blocks of consecutive cursors (EntryBlock in schema.ts): writing a batch into them, and reading
// entries back by cursor range, execution or block. Cursors of one source are ordered, so a batch usually lands
// after the last block, and a re-sent entry in the block that holds its cursor.
import type { Collection, Table } from 'dexie';
import type { EntryBlock, StoredEntry, TruwatchDb } from './schema.ts';

/** At most this many entries in a block built from new entries: about 60 KB, under Chromium's 64 KB threshold
 * above which IndexedDB stores a value as a separate file. */
export const BLOCK_ENTRIES = 100;

/** The index that lists blocks by time, with their span and size: see BLOCK_INDEXES in schema.ts. */
export const TIME_INDEX = '[toMs+fromMs+first+count]';
export type TimeKey = [toMs: number, fromMs: number, first: string, count: number];

/** The time-index keys of a collection read through TIME_INDEX. */
export async function timeKeys(blocks: Collection<EntryBlock, string, unknown>): Promise<TimeKey[]> {
  return (await blocks.keys()) as unknown as TimeKey[];
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
async function blocksTouching(db: TruwatchDb, lo: string, hi: string): Promise<EntryBlock[]> {
  const [inside, after] = await Promise.all([
    db.blocks.where('last').between(lo, hi, true, true).primaryKeys(),
    db.blocks.where('last').above(hi).limit(1).primaryKeys(),
  ]);
  // Ranges do not overlap: at most one block ends after hi and starts at or before it.
  const keys = after[0] !== undefined && after[0] <= hi ? [...inside, after[0]] : inside;
  const blocks = await db.blocks.bulkGet(keys);
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
 * Stores entries (distinct cursors) in blocks, inside the caller's transaction. An entry whose cursor is stored
 * replaces the stored one when `replaces(stored, incoming)` says so. New cursors inside a block's range go into
 * that block; the others fill the last block up to BLOCK_ENTRIES and then new blocks, never across the range of a
 * stored block, so ranges stay disjoint.
 */
export async function putEntries(
  db: TruwatchDb,
  incoming: StoredEntry[],
  replaces: (stored: StoredEntry, next: StoredEntry) => boolean,
): Promise<PutResult> {
  const result: PutResult = { written: [], replaced: [], unchanged: 0 };
  if (!incoming.length) return result;
  const sorted = [...incoming].sort(byId);
  const lo = sorted[0]!.id;
  const hi = sorted.at(-1)!.id;
  const [touched, tail] = await Promise.all([blocksTouching(db, lo, hi), db.blocks.orderBy('last').last()]);

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
  if (puts.length) await db.blocks.bulkPut(puts);
  return result;
}

/** The stored entries of these executions, in cursor order. */
export async function entriesOfExecutions(db: TruwatchDb, executionIds: string[]): Promise<StoredEntry[]> {
  if (!executionIds.length) return [];
  const wanted = new Set(executionIds);
  const blocks = await db.blocks.where('executions').anyOf(executionIds).distinct().toArray();
  return blocks
    .sort((a, b) => (a.first < b.first ? -1 : 1))
    .flatMap((block) =>
      block.entries.filter((e) => e.executionId !== undefined && wanted.has(e.executionId)),
    );
}

/** Every stored entry in cursor order (backups and tests: it reads the whole store). */
export async function allEntries(db: TruwatchDb): Promise<StoredEntry[]> {
  return (await db.blocks.toArray()).flatMap((block) => block.entries);
}

/** How many entries are stored, from the block index alone. */
export async function countStoredEntries(db: TruwatchDb): Promise<number> {
  const keys = await timeKeys(db.blocks.orderBy(TIME_INDEX));
  return keys.reduce((sum, key) => sum + key[3], 0);
}

/** Upgrade to blocks: the entries of the old table, read in cursor order a page at a time, then emptied. */
export async function moveEntriesIntoBlocks(
  entries: Table<StoredEntry, string>,
  blocks: Table<EntryBlock, string>,
): Promise<void> {
  for (let after: string | undefined; ;) {
    const page = await (after === undefined ? entries.orderBy('id') : entries.where('id').above(after))
      .limit(BLOCK_ENTRIES * 20)
      .toArray();
    if (!page.length) break;
    await blocks.bulkAdd(blocksOf(page));
    after = page.at(-1)!.id;
  }
  await entries.clear();
}

/** The stored entry with this cursor, if any. */
export async function getEntry(db: TruwatchDb, id: string): Promise<StoredEntry | undefined> {
  const block = await db.blocks.where('last').aboveOrEqual(id).first();
  if (!block || block.first > id) return undefined;
  const at = search(block.entries, id);
  return at < 0 ? undefined : block.entries[at];
}
