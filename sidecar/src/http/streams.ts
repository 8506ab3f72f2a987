// The /api/events slots: at most `max` streams at once, a stream whose client stops reading is dropped after
// `stallMs` without progress, and a new stream always gets a slot. All slots taken, the newcomer takes the
// slot of the client that stalled longest (no progress for a second or more), or else of the oldest stream:
// a client holding slots, with or without the token, can make other clients reconnect but never keep one out.

/** A write that has made no progress for this long marks its client as stalled (first to be evicted). */
export const STALLED_AFTER_MS = 1_000;

export interface StreamSlot {
  /** Aborts when the stream is dropped (stalled or evicted) or released. */
  readonly signal: AbortSignal;
  /** Writes through `write`, dropping the stream when no write finishes for the slots' `stallMs`. */
  write(text: string): Promise<void>;
  /** Gives the slot back (idempotent). */
  release(): void;
}

export type DropReason = 'stalled' | 'evicted';

interface Slot extends StreamSlot {
  readonly openedAt: number;
  /** When the oldest unfinished write last made progress, or undefined when none is unfinished. */
  waitingSince: number | undefined;
  drop(reason: DropReason): void;
}

export class StreamSlots {
  private readonly open = new Set<Slot>();
  /** Streams dropped because their client did not read, and because a newcomer needed the slot. */
  readonly dropped = { stalled: 0, evicted: 0 };

  constructor(
    readonly max: number,
    readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * A slot for a new stream. `write` hands text to the connection (resolving when it is taken: the
   * backpressure), `close` ends the connection at once (unread bytes and all).
   */
  take(write: (text: string) => Promise<unknown>, close: (reason: DropReason) => void): StreamSlot {
    if (this.open.size >= this.max) this.victim()?.drop('evicted');
    const controller = new AbortController();
    const aborted = new Promise<void>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    let pending = 0;
    let timer: NodeJS.Timeout | undefined;
    const progress = () => {
      clearTimeout(timer);
      timer = undefined;
      slot.waitingSince = undefined;
      if (pending === 0 || controller.signal.aborted) return;
      slot.waitingSince = this.now();
      timer = setTimeout(() => slot.drop('stalled'), this.stallMs);
    };
    const slot: Slot = {
      signal: controller.signal,
      openedAt: this.now(),
      waitingSince: undefined,
      write: async (text) => {
        if (controller.signal.aborted) return;
        pending++;
        if (pending === 1) progress();
        try {
          // A dropped stream's write may never finish: the caller goes on (to see the abort) all the same.
          await Promise.race([write(text), aborted]);
        } finally {
          pending--;
          progress();
        }
      },
      release: () => {
        controller.abort();
        clearTimeout(timer);
        this.open.delete(slot);
      },
      drop: (reason) => {
        if (controller.signal.aborted) return;
        this.dropped[reason]++;
        slot.release();
        close(reason);
      },
    };
    this.open.add(slot);
    return slot;
  }

  private victim(): Slot | undefined {
    let stalled: Slot | undefined;
    for (const slot of this.open) {
      const since = slot.waitingSince;
      if (since === undefined || this.now() - since < STALLED_AFTER_MS) continue;
      if (stalled === undefined || since < stalled.waitingSince!) stalled = slot;
    }
    // Sets keep insertion order: the first is the oldest.
    return stalled ?? this.open.values().next().value;
  }
}
