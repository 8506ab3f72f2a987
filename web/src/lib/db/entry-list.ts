// The Logs page's query: entries newest first, filtered by level, kind, time and text. Each kind and level asked
// for is read as one index stream ([kind+level+tsMs]), in time order, and the streams are merged.
import { Dexie } from 'dexie';
import { ENTRY_KINDS, type EntryKind } from '../../../../protocol/node-events.ts';
import { valuesOf } from './scan.ts';
import type { StoredEntry, TruwatchDb } from './schema.ts';

export interface EntryFilter {
  levels?: string[];
  kinds?: EntryKind[];
  /** Case-insensitive, in the message and the continuation text. */
  text?: string;
  /** A range of the entry time: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  /** Only the entries of one execution (read through its index, then filtered in memory). */
  executionId?: string;
}

type Predicate = (e: StoredEntry) => boolean;
type EntryCollection = ReturnType<TruwatchDb['entries']['toCollection']>;

/** Entries read per window when scanning with a text (or other in-memory) filter. */
const SCAN_ROWS = 2_000;

/** Newest first: time, then cursor (the order of the tsMs index, reversed). */
const newestFirst = (a: StoredEntry, b: StoredEntry) =>
  b.tsMs - a.tsMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** A test of the filter's conditions, leaving out those an index already applies. */
function matcher(f: EntryFilter, covered: { time?: boolean; kinds?: boolean; levels?: boolean }) {
  const tests: Predicate[] = [];
  if (!covered.time && (f.fromMs !== undefined || f.toMs !== undefined)) {
    const lo = f.fromMs ?? -Infinity;
    const hi = f.toMs ?? Infinity;
    tests.push((e) => e.tsMs >= lo && e.tsMs < hi);
  }
  if (!covered.kinds && f.kinds?.length) {
    const kinds = new Set<string>(f.kinds);
    tests.push((e) => kinds.has(e.kind));
  }
  if (!covered.levels && f.levels?.length) {
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

/** Entries of one kind and level (or all) with a time in [from, to), in index order. */
type Stream = (from: number, to: number) => EntryCollection;

const BY_KIND = '[kind+level+tsMs]';

/** The levels stored for one kind: a walk over [kind+level+tsMs] that jumps from one level to the next. */
async function levelsOf(db: TruwatchDb, kind: string): Promise<string[]> {
  const first = (after: unknown[]): Promise<unknown[]> =>
    db.entries.where(BY_KIND).between(after, [kind, Dexie.maxKey], false, false).limit(1).keys();
  const levels: string[] = [];
  for (
    let [key] = await first([kind]);
    Array.isArray(key);
    [key] = await first([kind, levels.at(-1), Infinity])
  )
    levels.push(String(key[1]));
  return levels;
}

/** One stream per kind and level asked for (or one for all), and what is left to test. */
async function streams(db: TruwatchDb, f: EntryFilter): Promise<{ streams: Stream[]; match?: Predicate }> {
  const kinds = f.kinds?.length ? [...new Set<string>(f.kinds)] : undefined;
  const levels = f.levels?.length ? [...new Set(f.levels)] : undefined;
  const indexed = kinds !== undefined || levels !== undefined;
  const match = matcher(f, { time: true, kinds: indexed, levels: indexed });
  if (!indexed)
    return { streams: [(from, to) => db.entries.where('tsMs').between(from, to, true, false)], match };
  const pairs = (
    await Promise.all(
      (kinds ?? ENTRY_KINDS).map(async (kind) =>
        (levels ?? (await levelsOf(db, kind))).map((level) => [kind, level] as const),
      ),
    )
  ).flat();
  const list = pairs.map(
    ([kind, level]): Stream =>
      (from, to) =>
        db.entries.where(BY_KIND).between([kind, level, from], [kind, level, to], true, false),
  );
  return { streams: list, match };
}

/** The filter's time range clipped to the stored entries ([first, last + 1)), or undefined when none is in it. */
async function timeRange(db: TruwatchDb, f: EntryFilter): Promise<[number, number] | undefined> {
  const [first, last] = await Promise.all([
    db.entries.orderBy('tsMs').first(),
    db.entries.orderBy('tsMs').last(),
  ]);
  if (!first || !last) return undefined;
  const lo = Math.max(f.fromMs ?? -Infinity, first.tsMs);
  const hi = Math.min(f.toMs ?? Infinity, last.tsMs + 1);
  return lo < hi ? [lo, hi] : undefined;
}

/**
 * Reads a stream backwards in time windows (one getAll each, sized to about SCAN_ROWS entries), passing the
 * matching entries of each window newest first, until `enough` says stop or the range is done.
 */
async function scanBack(
  stream: Stream,
  [lo, hi]: [number, number],
  match: Predicate,
  take: (rows: StoredEntry[]) => boolean,
): Promise<void> {
  let window = 3_600_000;
  for (let top = hi; top > lo;) {
    const from = Math.max(lo, top - window);
    const rows = await stream(from, top).toArray();
    if (take(rows.filter(match).sort(newestFirst))) return;
    top = from;
    window = Math.max(1_000, window * Math.min(8, Math.max(0.25, SCAN_ROWS / Math.max(1, rows.length))));
  }
}

/** The first `want` matching entries, newest first: per stream, then merged. */
async function newest(db: TruwatchDb, f: EntryFilter, want: number): Promise<StoredEntry[]> {
  if (f.executionId !== undefined) {
    const all = await db.entries.where('executionId').equals(f.executionId).toArray();
    const match = matcher(f, {});
    return (match ? all.filter(match) : all).sort(newestFirst).slice(0, want);
  }
  const { streams: list, match } = await streams(db, f);
  const lo = f.fromMs ?? -Infinity;
  const hi = f.toMs ?? Infinity;
  const range = match ? await timeRange(db, f) : undefined;
  if (match && !range) return [];
  const parts = await Promise.all(
    list.map(async (stream) => {
      if (!match || !range) {
        const keys = await stream(lo, hi).reverse().limit(want).primaryKeys();
        return valuesOf((ks: string[]) => db.entries.bulkGet(ks), keys);
      }
      const found: StoredEntry[] = [];
      await scanBack(stream, range, match, (rows) => found.push(...rows) >= want);
      return found.slice(0, want);
    }),
  );
  return parts.length === 1 ? parts[0]! : parts.flat().sort(newestFirst).slice(0, want);
}

/** One page of entries newest first. The cost grows with offset + limit (per kind or level asked for). */
export async function listEntries(
  db: TruwatchDb,
  filter: EntryFilter = {},
  offset = 0,
  limit = 200,
): Promise<StoredEntry[]> {
  return (await newest(db, filter, offset + limit)).slice(offset);
}

/** How many entries match (a text filter reads every entry in the range: call it less often than a page). */
export async function countEntries(db: TruwatchDb, filter: EntryFilter = {}): Promise<number> {
  if (filter.executionId !== undefined) return (await newest(db, filter, Infinity)).length;
  const { streams: list, match } = await streams(db, filter);
  if (!match)
    return (
      await Promise.all(
        list.map((stream) => stream(filter.fromMs ?? -Infinity, filter.toMs ?? Infinity).count()),
      )
    ).reduce((a, b) => a + b, 0);
  const range = await timeRange(db, filter);
  if (!range) return 0;
  let n = 0;
  for (const stream of list)
    await scanBack(stream, range, match, (rows) => {
      n += rows.length;
      return false;
    });
  return n;
}
