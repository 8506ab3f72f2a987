// At most `max` event streams read history at once; the others wait their turn (their clients get the
// stream's first comment and keep-alives meanwhile). A backfill runs as fast as its client reads, and each
// one in flight holds its own source buffers, parsed entries and encoded batches: this bounds the memory of
// every slot busy with a full backfill, and the streams that are live are not held back.

export class BackfillQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Resolves with the function that ends this backfill once it may start, or undefined when aborted first. */
  start(signal: AbortSignal): Promise<(() => void) | undefined> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(undefined);
      const begin = () => {
        signal.removeEventListener('abort', onAbort);
        this.running++;
        let ended = false;
        resolve(() => {
          if (ended) return;
          ended = true;
          this.running--;
          if (this.running < this.max) this.waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(begin);
        if (i !== -1) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      if (this.running < this.max) return begin();
      this.waiting.push(begin);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
