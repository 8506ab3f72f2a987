// The Logs page's query: entries newest first (time, then cursor), filtered by level, kind, time and text. The
// block index gives each block's time span and size, its facets how many entries of a kind and level it holds.
// Blocks are read newest first, and an entry is passed on once no unread block can hold one before it; while the
// page's offset is not reached, a block whose matching entries the index already counts is skipped unread.
import { ENTRY_KINDS, type EntryKind, type Outcome } from '../../../../protocol/node-events.ts';
import { entriesOfExecutions, timeKeys } from './blocks.ts';
import { getMany, indexOf, keyPairs, MAX_KEY } from './idb.ts';
import type { StoredEntry, TruwatchDb } from './schema.ts';

export interface EntryFilter {
  levels?: string[];
  kinds?: EntryKind[];
  /**
   * Only the entries that finished a task with this outcome. The runner rarely writes a failure line of its own
   * (`task.failed`): a failure is mostly a `task.metrics` entry with a non-zero exit code, which carries it.
   */
  outcome?: Outcome;
  /** Case-insensitive, in the message and the continuation text. */
  text?: string;
  /** A range of the entry time: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  /** Only the entries of one execution (read through its index, then filtered in memory). */
  executionId?: string;
}

type Predicate = (e: StoredEntry) => boolean;

/** Newest first: time, then cursor. */
const newestFirst = (a: StoredEntry, b: StoredEntry) =>
  b.tsMs - a.tsMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** A test of every condition of the filter, or undefined when it has none. */
function matcher(f: EntryFilter): Predicate | undefined {
  const tests: Predicate[] = [];
  if (f.fromMs !== undefined || f.toMs !== undefined) {
    const lo = f.fromMs ?? -Infinity;
    const hi = f.toMs ?? Infinity;
    tests.push((e) => e.tsMs >= lo && e.tsMs < hi);
  }
  if (f.kinds?.length) {
    const kinds = new Set<string>(f.kinds);
    tests.push((e) => kinds.has(e.kind));
  }
  if (f.outcome !== undefined) {
    const outcome = f.outcome;
    tests.push((e) => e.outcome === outcome);
  }
  if (f.levels?.length) {
    const levels = new Set(f.levels);
    tests.push((e) => levels.has(e.level));
  }
  const needle = f.text?.toLowerCase();
  if (needle)
    tests.push(
      (e) => e.message.toLowerCase().includes(needle) || (e.text?.toLowerCase().includes(needle) ?? false),
    );
  return tests.length ? (e: StoredEntry) => tests.every((t) => t(e)) : undefined;
}

interface BlockKey {
  toMs: number;
  fromMs: number;
  first: string;
  count: number;
  /** How many of its entries match, when the index tells without reading the block. */
  matching?: number;
}

/** Entries of each kind and level asked for, per block, from the facets index; undefined without such a filter. */
async function facetCounts(db: TruwatchDb, f: EntryFilter): Promise<Map<string, number> | undefined> {
  const kinds = f.kinds?.length ? [...new Set<string>(f.kinds)] : undefined;
  const levels = f.levels?.length ? [...new Set(f.levels)] : undefined;
  if (!kinds && !levels) return undefined;
  const ranges = (kinds ?? ENTRY_KINDS).flatMap((kind) =>
    levels
      ? levels.map((level) => IDBKeyRange.bound([kind, level, -Infinity], [kind, level, Infinity]))
      : [IDBKeyRange.bound([kind], [kind, MAX_KEY])],
  );
  const counts = new Map<string, number>();
  const found = await Promise.all(
    ranges.map((range) => keyPairs<[string, string, number], string>(indexOf(db, 'blocks', 'facets'), range)),
  );
  for (const [key, first] of found.flat()) counts.set(first, (counts.get(first) ?? 0) + key[2]);
  return counts;
}

/** The blocks that may hold matching entries, newest first. */
async function candidates(db: TruwatchDb, f: EntryFilter): Promise<BlockKey[]> {
  const lo = f.fromMs ?? -Infinity;
  const hi = f.toMs ?? Infinity;
  const [keys, facets] = await Promise.all([
    timeKeys(db, IDBKeyRange.lowerBound([lo]), { reverse: true }),
    facetCounts(db, f),
  ]);
  // The facets count kinds and levels, not outcomes: with text or an outcome, matching blocks are read.
  const exact = !f.text && f.outcome === undefined;
  const out: BlockKey[] = [];
  for (const key of keys) {
    const [toMs, fromMs, first, count] = key;
    if (fromMs >= hi) continue;
    const matching = facets ? (facets.get(first) ?? 0) : count;
    if (!matching) continue;
    const inside = fromMs >= lo && toMs < hi;
    out.push({ toMs, fromMs, first, count, ...(exact && inside && { matching }) });
  }
  return out;
}

/** Entries newest first: `skip` matching ones passed over, then up to `want`. */
async function scan(db: TruwatchDb, f: EntryFilter, skip: number, want: number): Promise<StoredEntry[]> {
  const keys = await candidates(db, f);
  const match = matcher(f);
  // The greatest first cursor from each position on: the tie-break against the blocks not read yet.
  const laterFirst: string[] = new Array<string>(keys.length + 1).fill('');
  for (let i = keys.length - 1; i >= 0; i--)
    laterFirst[i] = keys[i]!.first > laterFirst[i + 1]! ? keys[i]!.first : laterFirst[i + 1]!;
  /** Whether an entry of time `ms` from block `first` comes before every entry of the blocks from `i` on. */
  const before = (ms: number, first: string, i: number) =>
    i >= keys.length || ms > keys[i]!.toMs || (ms === keys[i]!.toMs && first > laterFirst[i]!);

  const out: StoredEntry[] = [];
  let pending: { e: StoredEntry; first: string }[] = [];
  let skipped = 0;
  for (let i = 0; i < keys.length && out.length < want;) {
    const key = keys[i]!;
    if (
      !pending.length &&
      key.matching !== undefined &&
      skipped + key.matching <= skip &&
      before(key.fromMs, key.first, i + 1)
    ) {
      skipped += key.matching;
      i++;
      continue;
    }
    const block = await db.get('blocks', key.first);
    i++;
    for (const e of block?.entries ?? []) if (!match || match(e)) pending.push({ e, first: key.first });
    pending.sort((a, b) => newestFirst(a.e, b.e));
    let n = 0;
    while (n < pending.length && out.length < want && before(pending[n]!.e.tsMs, pending[n]!.first, i)) {
      if (skipped < skip) skipped++;
      else out.push(pending[n]!.e);
      n++;
    }
    pending = pending.slice(n);
  }
  return out;
}

/** One page of entries newest first. The cost grows with the blocks read to reach offset + limit. */
export async function listEntries(
  db: TruwatchDb,
  filter: EntryFilter = {},
  offset = 0,
  limit = 200,
): Promise<StoredEntry[]> {
  if (filter.executionId === undefined) return scan(db, filter, offset, limit);
  const match = matcher(filter);
  const all = await entriesOfExecutions(db, [filter.executionId]);
  return (match ? all.filter(match) : all).sort(newestFirst).slice(offset, offset + limit);
}

/** How many entries match: from the index where it can tell, reading only the other blocks. */
export async function countEntries(db: TruwatchDb, filter: EntryFilter = {}): Promise<number> {
  const match = matcher(filter);
  if (filter.executionId !== undefined) {
    const all = await entriesOfExecutions(db, [filter.executionId]);
    return match ? all.filter(match).length : all.length;
  }
  const keys = await candidates(db, filter);
  let n = 0;
  const unread: string[] = [];
  for (const key of keys) {
    if (key.matching !== undefined) n += key.matching;
    else unread.push(key.first);
  }
  for (let i = 0; i < unread.length; i += 16)
    for (const block of await getMany(db.transaction('blocks').store, unread.slice(i, i + 16)))
      for (const e of block?.entries ?? []) if (!match || match(e)) n++;
  return n;
}
