// The low-level IndexedDB helpers of the app's databases (the monitor database, federation's), on top of `idb`:
// stores created from Dexie-style specs (the layout Dexie created, which existing databases have), typed stores
// and indexes of a database or a transaction, key ranges that may be empty, cursors that walk keys, batched reads
// and writes, and a transaction that aborts when its body throws.
import {
  unwrap,
  type DBSchema,
  type IDBPDatabase,
  type IDBPObjectStore,
  type IDBPTransaction,
  type IndexNames,
  type StoreNames,
  type StoreValue,
} from 'idb';

/**
 * Creates an object store from a Dexie-style spec, so the layout on disk is the one Dexie created: the primary
 * key first (`++id`: auto-incremented), then the indexes, named as written: `[a+b]` a compound index on
 * `['a', 'b']`, `*tags` a multiEntry index named `tags`.
 */
export function createStore(db: IDBDatabase, name: string, spec: string): IDBObjectStore {
  const [primary = '', ...indexes] = spec.split(',').map((part) => part.trim());
  const keyPath = (path: string) => (path.startsWith('[') ? path.slice(1, -1).split('+') : path);
  const autoIncrement = primary.startsWith('++');
  const store = db.createObjectStore(name, {
    keyPath: keyPath(autoIncrement ? primary.slice(2) : primary),
    autoIncrement,
  });
  for (const index of indexes) {
    const multiEntry = index.startsWith('*');
    const indexName = multiEntry ? index.slice(1) : index;
    store.createIndex(indexName, keyPath(indexName), { multiEntry });
  }
  return store;
}

/** Where a read happens: on the database (each read its own transaction), or in a transaction. */
type DbOrTx<DB extends DBSchema> =
  IDBPDatabase<DB> | IDBPTransaction<DB, StoreNames<DB>[], IDBTransactionMode>;

/** One store, of the transaction or of a new read-only one. */
export function storeOf<DB extends DBSchema, N extends StoreNames<DB>>(src: DbOrTx<DB>, name: N) {
  const tx =
    'objectStore' in src
      ? src
      : (src.transaction([name], 'readonly') as IDBPTransaction<DB, StoreNames<DB>[], IDBTransactionMode>);
  return tx.objectStore(name);
}

/** One index as raw IndexedDB, for the cursor helpers below. */
export function indexOf<DB extends DBSchema, N extends StoreNames<DB>>(
  src: DbOrTx<DB>,
  name: N,
  index: IndexNames<DB, N>,
): IDBIndex {
  return unwrap(storeOf(src, name).index(index));
}

/** A read-write transaction over the given stores. */
export function writing<DB extends DBSchema>(
  db: IDBPDatabase<DB>,
  names: StoreNames<DB>[],
): IDBPTransaction<DB, StoreNames<DB>[], 'readwrite'> {
  return db.transaction(names, 'readwrite');
}

/** Greater than every key of these stores (an array sorts after numbers and strings): an open upper end. */
export const MAX_KEY: IDBValidKey = [[]];

/** [lo, hi] with open or closed ends; an empty range when lo is above hi (IDBKeyRange.bound would throw). */
export function between(lo: IDBValidKey, hi: IDBValidKey, loOpen = false, hiOpen = true): IDBKeyRange {
  const order = indexedDB.cmp(lo, hi);
  // A range no key of these stores is in (no index holds an empty array).
  if (order > 0 || (order === 0 && (loOpen || hiOpen))) return IDBKeyRange.only([]);
  return IDBKeyRange.bound(lo, hi, loOpen, hiOpen);
}

/** The strings that start with `prefix`. */
export function startsWith(prefix: string): IDBKeyRange {
  return IDBKeyRange.bound(prefix, prefix + '\uffff');
}

type Source = IDBObjectStore | IDBIndex;
type Query = IDBValidKey | IDBKeyRange | null;

export interface Walk {
  /** Newest (highest key) first. */
  reverse?: boolean;
  /** At most this many (Infinity: all). */
  limit?: number;
  /** Of an index: each key once (its first record's primary key). */
  unique?: boolean;
}

/**
 * Walks a cursor over `source` (raw IndexedDB: `unwrap` an idb object) and collects what `pick` takes from each
 * step, until `limit` were taken or the range ends. `pick` returning undefined skips a step.
 */
function walk<C extends IDBCursor, T>(
  open: () => IDBRequest<C | null>,
  pick: (cursor: C) => T | undefined,
  limit = Infinity,
): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    const request = open();
    request.onsuccess = () => {
      const cursor = request.result;
      if (!cursor) return resolve(out);
      const value = pick(cursor);
      if (value !== undefined) out.push(value);
      if (out.length >= limit) resolve(out);
      else cursor.continue();
    };
    request.onerror = () => reject(request.error);
  });
}

const direction = (options: Walk): IDBCursorDirection =>
  `${options.reverse ? 'prev' : 'next'}${options.unique ? 'unique' : ''}`;

/** The keys of an index (not the primary keys) in a range, in order: what the index alone says. */
export function indexKeys<K extends IDBValidKey>(
  source: Source,
  query: Query,
  options: Walk = {},
): Promise<K[]> {
  return walk(
    () => source.openKeyCursor(query, direction(options)),
    (cursor) => cursor.key as K,
    options.limit,
  );
}

/** The (index key, primary key) pairs in a range, in order. */
export function keyPairs<K extends IDBValidKey, P extends IDBValidKey>(
  source: Source,
  query: Query,
  options: Walk = {},
): Promise<[K, P][]> {
  return walk(
    () => source.openKeyCursor(query, direction(options)),
    (cursor): [K, P] => [cursor.key as K, cursor.primaryKey as P],
    options.limit,
  );
}

/** The primary keys in a range, in order; forwards, one getAllKeys. */
export function primaryKeys<P extends IDBValidKey>(
  source: Source,
  query: Query,
  options: Walk = {},
): Promise<P[]> {
  const limit = options.limit ?? Infinity;
  if (!options.reverse && limit > 0) return request(source.getAllKeys(query, count(limit))) as Promise<P[]>;
  return walk(
    () => source.openKeyCursor(query, direction(options)),
    (cursor) => cursor.primaryKey as P,
    limit,
  );
}

/** The values in a range, in order, those `keep` accepts; forwards without a filter, one getAll. */
export function values<T>(
  source: Source,
  query: Query,
  options: Walk & { keep?: (value: T) => boolean } = {},
): Promise<T[]> {
  const limit = options.limit ?? Infinity;
  const keep = options.keep;
  if (!options.reverse && !keep && limit > 0)
    return request(source.getAll(query, count(limit))) as Promise<T[]>;
  return walk(
    () => source.openCursor(query, direction(options)),
    (cursor) => {
      const value = cursor.value as T;
      return !keep || keep(value) ? value : undefined;
    },
    limit,
  );
}

/** An idb object store of any transaction, read and written below through the raw IndexedDB object. */
type Store<DB extends DBSchema, N extends StoreNames<DB>> = IDBPObjectStore<
  DB,
  ArrayLike<StoreNames<DB>>,
  N,
  IDBTransactionMode
>;

/**
 * Values for keys, in the same order (undefined where missing), read in the given store. Raw requests, one
 * promise for all: the requests of a transaction succeed in order, so the last one's success ends the read.
 */
export function getMany<DB extends DBSchema, N extends StoreNames<DB>>(
  store: Store<DB, N>,
  keys: IDBValidKey[],
): Promise<(StoreValue<DB, N> | undefined)[]> {
  type T = StoreValue<DB, N>;
  const raw = unwrap(store);
  const out = new Array<T | undefined>(keys.length);
  if (!keys.length) return Promise.resolve(out);
  return new Promise((resolve, reject) => {
    keys.forEach((key, i) => {
      const req = raw.get(key) as IDBRequest<T | undefined>;
      req.onsuccess = () => {
        out[i] = req.result;
        if (i === keys.length - 1) resolve(out);
      };
      req.onerror = () => reject(req.error);
    });
  });
}

/**
 * Values for keys found through an index, in the same order, missing ones (deleted meanwhile) dropped. Index keys
 * are cheap to read (getAllKeys), values are not: queries find and order keys first and read one page's values last.
 */
export async function valuesOf<K, T>(
  get: (keys: K[]) => PromiseLike<(T | undefined)[]>,
  keys: K[],
): Promise<T[]> {
  if (!keys.length) return [];
  return (await get(keys)).filter((v): v is T => v !== undefined);
}

/** Puts every value with raw requests; resolves when the last one succeeded (they succeed in order). */
export function putAll<DB extends DBSchema, N extends StoreNames<DB>>(
  store: Store<DB, N>,
  items: readonly StoreValue<DB, N>[],
): Promise<void> {
  if (!items.length) return Promise.resolve();
  const raw = unwrap(store);
  let last: IDBRequest | undefined;
  for (const item of items) last = raw.put(item);
  return request(last!).then(() => undefined);
}

/** A getAll count: IndexedDB takes an unsigned 32-bit one; beyond it, none (all). */
const count = (limit: number) => (limit < 2 ** 32 ? limit : undefined);

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * Runs `body` in the transaction `tx` and resolves once it committed. When `body` throws, the transaction is
 * aborted, so nothing it wrote stays. `body` may only wait for requests of this transaction (awaiting anything
 * else lets IndexedDB commit it early).
 */
export async function inTransaction<Tx extends { done: Promise<void>; abort(): void }, T>(
  tx: Tx,
  body: (tx: Tx) => Promise<T>,
): Promise<T> {
  try {
    const result = await body(tx);
    await tx.done;
    return result;
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already aborted (a request failed) or committed.
    }
    await tx.done.catch(() => undefined);
    throw error;
  }
}
