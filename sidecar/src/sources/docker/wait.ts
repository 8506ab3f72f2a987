// Waiting helpers for the Docker source: one wake-up that every producer pokes (log stream, events, abort),
// a pull-based reader of a response stream, and the retry delays.
import type { Readable } from 'node:stream';

/** A condition to wait on: a wake that comes while nobody waits is kept for the next wait. */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  wake = (): void => {
    this.pending = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  };

  /** Resolves 'wake' on a wake (or one already pending), 'timeout' after `ms` (never when undefined). */
  wait(ms: number | undefined): Promise<'wake' | 'timeout'> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve('wake');
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => done('timeout'), ms);
      const done = (why: 'wake' | 'timeout') => {
        clearTimeout(timer);
        if (this.resolve === onWake) this.resolve = undefined;
        this.pending = false;
        resolve(why);
      };
      const onWake = () => done('wake');
      this.resolve = onWake;
    });
  }
}

/**
 * Reads a response stream only when asked (paused mode): while nobody calls `read()`, Node stops reading the
 * socket once its buffer is full, and the engine stops sending.
 */
export class StreamPuller {
  /** The stream ended; `clean` when it ended normally rather than being cut (socket closed, aborted). */
  done = false;
  clean = false;
  private closed = false;

  constructor(
    private readonly stream: Readable,
    notify: () => void,
  ) {
    // Once closed here, the stream's last events wake nobody.
    const onChange = () => {
      if (!this.closed) notify();
    };
    stream.on('readable', onChange);
    stream.on('end', () => {
      this.done = true;
      this.clean = true;
      onChange();
    });
    const cut = () => {
      this.done = true;
      onChange();
    };
    stream.on('error', cut);
    stream.on('close', cut);
  }

  /** What the stream has buffered, or null when nothing is there now. */
  read(): Buffer | null {
    return this.done && !this.clean ? null : (this.stream.read() as Buffer | null);
  }

  close(): void {
    this.closed = true;
    this.stream.destroy();
  }
}

/** Exponential backoff with jitter: about initial·2^attempt, at most max, never less than half of it. */
export function backoff(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(base / 2 + (Math.random() * base) / 2));
}
