// A local copy of one KV bucket, kept current by a watch: every instance reads the shared state from it
// (stats, rate limits) without a round trip. At most `max` keys; a key beyond that is ignored (counted).
import type { KV, KvEntry } from '@nats-io/kv';

export interface Held<T> {
  value: T;
  revision: number;
}

export class Mirror<T> {
  readonly map = new Map<string, Held<T>>();
  overflow = 0;
  readonly ready: Promise<void>;
  #stop: () => void = () => undefined;

  constructor(
    kv: KV,
    private readonly decode: (entry: KvEntry) => T | undefined,
    private readonly max: number,
  ) {
    this.ready = this.#watch(kv);
  }

  async #watch(kv: KV): Promise<void> {
    const empty = (await kv.status()).values === 0;
    const watch = await kv.watch();
    this.#stop = () => watch.stop();
    let resolve!: () => void;
    const ready = new Promise<void>((r) => (resolve = r));
    if (empty) resolve();
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation === 'PUT') {
          const value = this.decode(entry);
          if (value !== undefined) this.set(entry.key, { value, revision: entry.revision });
        } else this.map.delete(entry.key);
        if (entry.delta === 0) resolve();
      }
    })();
    await ready;
  }

  get(key: string): Held<T> | undefined {
    return this.map.get(key);
  }

  /** Keeps the newer of what is held and `held` (a watch may deliver an instance's own write late). */
  set(key: string, held: Held<T>): void {
    const current = this.map.get(key);
    if (current && current.revision >= held.revision) return;
    if (!current && this.map.size >= this.max) {
      this.overflow++;
      return;
    }
    this.map.set(key, held);
  }

  get full(): boolean {
    return this.map.size >= this.max;
  }

  /** Forgets the keys `expired` says the bucket's TTL has removed. */
  prune(expired: (key: string) => boolean): void {
    for (const key of this.map.keys()) if (expired(key)) this.map.delete(key);
  }

  stop(): void {
    this.#stop();
  }
}
