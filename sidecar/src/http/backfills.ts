// Event streams read history (their backfill) `max` at a time, in order of arrival: a backfill runs as fast
// as its client reads, and each one in flight holds its own source buffers, parsed entries and encoded batches,
// and makes garbage as fast as it reads; this bounds the memory of every slot busy with a full backfill. A
// stream whose client keeps it waiting (reads slowly, or not at all until it is dropped) gives its turn to the
// next one waiting after TURN_MS, and queues again: no client holds the others back. Streams that are live are
// not held back. The waiting ones get the stream's first comment and keep-alives.

/** How long a backfill may keep the others waiting while its client keeps it waiting. */
export const TURN_MS = 1_000;

export interface Backfill {
  /** Before each event: waits for a new turn when this one's ended; false when aborted meanwhile. */
  next(): Promise<boolean>;
  /** Marks a write as waiting for the client: a turn can end there. */
  waitFor<T>(write: Promise<T>): Promise<T>;
  /** The history is read (or the stream ends): gives the turn away for good (idempotent). */
  end(): void;
}

export class BackfillQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly max: number,
    private readonly turnMs = TURN_MS,
  ) {}

  /** Resolves when this stream may start reading history, or with undefined when aborted first. */
  async begin(signal: AbortSignal): Promise<Backfill | undefined> {
    let release = await this.turn(signal);
    if (!release) return undefined;
    let ended = false;
    let writing = 0;
    let timer: NodeJS.Timeout | undefined;
    const give = () => {
      clearTimeout(timer);
      release?.();
      release = undefined;
    };
    // A timer, not a check between events: a client that stopped reading stops its stream inside a write.
    const take = () => {
      timer = setTimeout(() => (this.waiting.length && writing ? give() : take()), this.turnMs);
    };
    take();
    return {
      next: async () => {
        if (ended || release) return true;
        release = await this.turn(signal);
        if (!release) return false;
        take();
        return true;
      },
      waitFor: async (write) => {
        writing++;
        try {
          return await write;
        } finally {
          writing--;
        }
      },
      end: () => {
        ended = true;
        give();
      },
    };
  }

  get size(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Waits for a place: resolves with the function that gives it back, or undefined when aborted first. */
  private turn(signal: AbortSignal): Promise<(() => void) | undefined> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(undefined);
      const begin = () => {
        signal.removeEventListener('abort', onAbort);
        this.running++;
        let given = false;
        resolve(() => {
          if (given) return;
          given = true;
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
}
