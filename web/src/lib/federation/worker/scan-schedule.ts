// When federation looks at the monitor's database again for newly finished tasks: as soon as a write is
// announced on db/changes.ts's channel (the ingest worker of any tab announces every write it commits), at
// most once per `gapMs` however often writes come (a backfill announces many a second), and one scan at a
// time: what is announced during a scan is seen by one more scan after it. Scans asked for directly
// (`now()`: settings changed, the service's slow round) wait their turn the same way.
import { CHANGES_CHANNEL } from '../../db/changes.ts';

export interface ScanScheduleOptions {
  /** The least time between the starts of two scans that writes asked for. */
  gapMs: number;
}

export class ScanSchedule {
  private channel: BroadcastChannel | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The last scan asked for (settles when it and every scan before it are done). */
  private last: Promise<void> = Promise.resolve();
  /** A scan asked for that has not started yet: a new ask joins it. */
  private queued: Promise<void> | undefined;
  private lastStartMs = -Infinity;

  constructor(
    private readonly scan: () => Promise<void>,
    private readonly options: ScanScheduleOptions,
  ) {}

  /** Listens for writes. */
  start(): void {
    if (this.channel) return;
    this.channel = new BroadcastChannel(CHANGES_CHANNEL);
    this.channel.addEventListener('message', () => this.soon());
  }

  /** Stops listening; resolves once the scan under way (if any) is done. */
  async stop(): Promise<void> {
    this.channel?.close();
    this.channel = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.last;
  }

  /** A scan as soon as the gap allows (while started); asks made until it starts are answered by it. */
  soon(): void {
    if (!this.channel || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastStartMs + this.options.gapMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.now();
    }, wait);
  }

  /** A scan that starts after this call, after the one under way if any; resolves when it is done. */
  now(): Promise<void> {
    if (!this.queued) {
      const next = this.last.then(async () => {
        this.queued = undefined;
        this.lastStartMs = Date.now();
        await this.scan();
      });
      this.queued = next;
      this.last = next.catch(() => undefined);
    }
    return this.queued;
  }
}
