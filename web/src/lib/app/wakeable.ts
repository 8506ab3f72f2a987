// The pause of a retry or work loop: its timer, an abort signal or wake() ends it, whichever comes first. A page
// that becomes visible, a network back online, new work or a stop cut it short.
export class Wakeable {
  private end: (() => void) | undefined;

  /** Waits `ms` (until woken when undefined), or less on wake() or when `signal` aborts. Never rejects. */
  sleep(ms?: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (this.end === done) this.end = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.end = done;
    });
  }

  /** Ends the pause going on, if any; says whether there was one. */
  wake(): boolean {
    const end = this.end;
    end?.();
    return end !== undefined;
  }
}
