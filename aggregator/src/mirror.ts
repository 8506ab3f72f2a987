// A local copy of one KV bucket, kept current by a watch: every instance reads the shared state from it
// (stats, rate limits) without a round trip. At most `max` keys: a new key beyond that evicts the least
// recently written one (recency.ts), keys whose value `keep` holds last, so no key is ever refused. A record
// `decode` refuses (records.ts) is skipped and reported to `skipped`; it replaces what was held.
import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import { RecencyMap } from './recency.ts';

export interface Held<T> {
  value: T;
  revision: number;
}

export class Mirror<T> {
  readonly map: RecencyMap<Held<T>>;
  /** Watches restarted after a stall. */
  restarts = 0;
  readonly ready: Promise<void>;
  #resolveReady!: () => void;
  #watch: QueuedIterator<KvWatchEntry> | undefined;
  #stopped = false;
  /** The highest revision the watch delivered, and what it was at the last health check. */
  #seen = 0;
  #seenAtCheck = 0;

  constructor(
    private readonly kv: KV,
    private readonly decode: (entry: KvEntry) => T | undefined,
    max: number,
    keep?: (value: T) => boolean,
    private readonly skipped: () => void = () => undefined,
  ) {
    this.map = new RecencyMap<Held<T>>(max, keep && ((held) => keep(held.value)));
    this.ready = new Promise<void>((resolve) => (this.#resolveReady = resolve));
    void this.#start(0).catch(() => undefined);
  }

  async #start(from: number): Promise<void> {
    if (from === 0 && (await this.kv.status()).values === 0) this.#resolveReady();
    const watch = await this.kv.watch(from ? { resumeFromRevision: from } : {});
    if (this.#stopped) return watch.stop();
    this.#watch = watch;
    for await (const entry of watch) {
      this.#seen = Math.max(this.#seen, entry.revision);
      if (entry.operation === 'PUT') {
        const value = this.decode(entry);
        if (value !== undefined) this.set(entry.key, { value, revision: entry.revision });
        else {
          this.skipped();
          this.#forget(entry.key, entry.revision);
        }
      } else this.#forget(entry.key, entry.revision);
      if (entry.delta === 0) this.#resolveReady();
    }
  }

  /**
   * Restarts the watch where it stopped if the bucket has moved on and the watch has delivered nothing
   * since the last check (an ordered consumer can stall when its server dies in a cluster). Call it every
   * few seconds; true when it restarted.
   */
  async heal(): Promise<boolean> {
    const last = (await this.kv.status()).streamInfo.state.last_seq;
    const stalled = last > this.#seen && this.#seen === this.#seenAtCheck;
    this.#seenAtCheck = this.#seen;
    if (!stalled || this.#stopped) return false;
    this.#watch?.stop();
    this.restarts++;
    void this.#start(this.#seen + 1).catch(() => undefined);
    return true;
  }

  get(key: string): Held<T> | undefined {
    return this.map.get(key);
  }

  /** Keeps the newer of what is held and `held` (a watch may deliver an instance's own write late). */
  set(key: string, held: Held<T>): void {
    const current = this.map.get(key);
    if (current && current.revision >= held.revision) return;
    this.map.set(key, held);
  }

  /** Forgets `key` unless what is held is newer than `revision` (an instance's own later write). */
  #forget(key: string, revision: number): void {
    if ((this.map.get(key)?.revision ?? 0) < revision) this.map.delete(key);
  }

  /** Keys evicted to make room for newer ones. */
  get evicted(): number {
    return this.map.evicted;
  }

  /** Forgets the keys `expired` says the bucket's TTL has removed. */
  prune(expired: (key: string) => boolean): void {
    for (const key of this.map.keys()) if (expired(key)) this.map.delete(key);
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }
}
