// Catch-up progress: entries stored since the catch-up began, and — when the sidecar's backfill statuses give
// bytes read and in all — the percentage done and the time left at the rate seen so far.
import type { Status } from '../../../../../protocol/node-events.ts';
import type { IngestProgress } from '../state.ts';

/** The rate is measured over at least this long before a time left is shown. */
const MIN_RATE_MS = 1000;

export class CatchUpMeter {
  private entries = 0;
  private first: { atMs: number; bytes: number } | undefined;
  private latest: { atMs: number; bytes: number; totalBytes: number } | undefined;

  constructor(private readonly now: () => number) {}

  stored(count: number): void {
    this.entries += count;
  }

  status(status: Status): void {
    const b = status.backfill;
    if (b?.bytes === undefined || b.totalBytes === undefined) return;
    const atMs = this.now();
    this.first ??= { atMs, bytes: b.bytes };
    this.latest = { atMs, bytes: b.bytes, totalBytes: b.totalBytes };
  }

  progress(): IngestProgress {
    const progress: IngestProgress = { entries: this.entries };
    const { first, latest } = this;
    if (!first || !latest || latest.totalBytes <= 0) return progress;
    progress.percent = Math.min(100, Math.round((latest.bytes / latest.totalBytes) * 1000) / 10);
    const elapsedMs = latest.atMs - first.atMs;
    const done = latest.bytes - first.bytes;
    if (elapsedMs >= MIN_RATE_MS && done > 0) {
      const left = Math.max(0, latest.totalBytes - latest.bytes);
      progress.etaSeconds = Math.ceil((left / done) * (elapsedMs / 1000));
    }
    return progress;
  }
}
