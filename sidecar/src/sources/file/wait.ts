// Waiting between polls of the file source: a timer that the abort signal ends at once and that a change in the
// watched directory (fs.watch, a hint only: it is unreliable on some mounts) ends early.
import { watch, type FSWatcher } from 'node:fs';
import { sleep } from '../sleep.ts';

export class Waker {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {}

  /** Also wake on changes in `dir`, when the platform can tell. Polling goes on regardless. */
  watch(dir: string): void {
    if (this.watcher) return;
    try {
      const watcher = watch(dir, { persistent: false }, () => this.wake?.());
      watcher.on('error', () => this.unwatch());
      this.watcher = watcher;
    } catch {
      // No inotify (limits, some network mounts): polling alone.
    }
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Resolves after `ms`, on abort, or on a change in the watched directory. Never rejects. */
  async wait(ms: number): Promise<void> {
    const woken = new AbortController();
    this.wake = () => woken.abort();
    await sleep(ms, AbortSignal.any([this.signal, woken.signal]));
    this.wake = undefined;
  }

  close(): void {
    this.unwatch();
    this.wake?.();
  }
}
