// A bounded map that makes room instead of refusing: when it is full, a new key evicts the least recently set
// one, so nobody can fill it first and lock later keys out. Two segments (a segmented LRU): keys whose value
// `keep` holds (a node heard more than once) are evicted only when no other key is left, so a flood of keys
// set once (invented pseudonyms, never heard again) churns through the other segment and passes the kept
// ones by. Setting a key makes it the most recent of its segment. O(1) per operation.
export class RecencyMap<V> implements Iterable<[string, V]> {
  readonly #fresh = new Map<string, V>();
  readonly #kept = new Map<string, V>();
  /** Live iterators over each segment: a Map iterates in insertion order and a re-set key moves to its end,
   * so the next key of a live cursor is always the segment's least recent (starting one over a map with many
   * deleted slots at its head would cost O(n) per eviction). */
  #freshCursor: Iterator<string> = this.#fresh.keys();
  #keptCursor: Iterator<string> = this.#kept.keys();
  /** Keys evicted to make room, since the start. */
  evicted = 0;

  constructor(
    readonly max: number,
    private readonly keep: (value: V) => boolean = () => false,
  ) {}

  get size(): number {
    return this.#fresh.size + this.#kept.size;
  }

  /** Keys in the kept segment. */
  get keptSize(): number {
    return this.#kept.size;
  }

  get(key: string): V | undefined {
    return this.#kept.get(key) ?? this.#fresh.get(key);
  }

  has(key: string): boolean {
    return this.#kept.has(key) || this.#fresh.has(key);
  }

  /** Sets `key` as the most recent of its segment; a new key in a full map first evicts the least recent. */
  set(key: string, value: V): void {
    const had = this.#kept.delete(key) || this.#fresh.delete(key);
    if (!had) while (this.size >= this.max && this.size > 0) this.#evict();
    if (this.max <= 0) return;
    (this.keep(value) ? this.#kept : this.#fresh).set(key, value);
  }

  delete(key: string): boolean {
    return this.#kept.delete(key) || this.#fresh.delete(key);
  }

  #evict(): void {
    const fromFresh = this.#fresh.size > 0;
    const map = fromFresh ? this.#fresh : this.#kept;
    let next = (fromFresh ? this.#freshCursor : this.#keptCursor).next();
    if (next.done) {
      const cursor = map.keys();
      if (fromFresh) this.#freshCursor = cursor;
      else this.#keptCursor = cursor;
      next = cursor.next();
    }
    if (next.done) return;
    map.delete(next.value);
    this.evicted++;
  }

  *keys(): IterableIterator<string> {
    yield* this.#kept.keys();
    yield* this.#fresh.keys();
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    yield* this.#kept;
    yield* this.#fresh;
  }
}
