// Retention applied by the worker that owns the monitor database, not only by Settings' "Prune now": the page
// tells it how many days to keep when the app starts and when the setting changes; it prunes then, and again
// every day while the app is open. Every tab's worker does it: pruning is idempotent and runs in small batches.
import { checkRetentionDays, retentionCutoff } from '../../db/retention.ts';

export const PRUNE_EVERY_MS = 86_400_000;

export class AutoPrune {
  private days: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<number> | undefined;

  /** `prune` deletes the entries older than a cutoff and resolves with how many it deleted. */
  constructor(
    private readonly prune: (olderThanMs: number) => Promise<number>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps `days` days of entries (0: all) from now on, pruning at once; refuses what Settings would refuse. */
  async keep(days: number): Promise<number> {
    const checked = checkRetentionDays(days);
    if ('error' in checked) throw new Error(checked.error);
    this.days = checked.days;
    this.timer ??= setInterval(() => void this.run().catch(() => {}), PRUNE_EVERY_MS);
    return this.run();
  }

  /** Prunes by the days set now; runs one after the other, so a change made during a run is applied after it. */
  async run(): Promise<number> {
    while (this.running) await this.running.catch(() => 0);
    const cutoff = this.days === undefined ? undefined : retentionCutoff(this.days, this.now());
    if (cutoff === undefined) return 0;
    this.running = this.prune(cutoff).finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
