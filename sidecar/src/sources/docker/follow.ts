// Follows one log stream of one container run: backfill then live, batches, backpressure, de-duplication of
// what a re-read delivers again, and what to do when the stream ends.
import type { ContainerInfo } from './api.ts';
import { CursorCounter, cursorSeconds, nsToIso, nsToMs } from './cursor.ts';
import { DockerLogDemuxer, type DockerLine } from './frames.ts';
import { StreamPuller } from './wait.ts';
import type { DockerReader } from './docker.ts';
import { batchFull, batchSize, type SourceEvent, type SourceLine } from '../source.ts';

/** How a followed stream ended: read to the end of a stopped run, or to be attached again (at once). */
export type FollowEnd = 'exhausted' | 'again';

export class LogFollower {
  private puller: StreamPuller | undefined;
  private readonly id12: string;
  private backfill: SourceLine[] = [];
  private fresh: SourceLine[] = [];
  private live = false;
  private toldLive = false;
  private entries = 0;

  constructor(
    private readonly reader: DockerReader,
    private readonly info: ContainerInfo,
  ) {
    this.id12 = info.id.slice(0, 12);
  }

  close(): void {
    this.puller?.close();
  }

  async *follow(): AsyncGenerator<SourceEvent, FollowEnd> {
    const { reader, info } = this;
    const { signal, api, wakeup } = reader;
    const { containerName: name, idleMs, coalesceMs } = reader.config;
    // A re-read of the same container starts at the last delivered line's second and skips up to that line.
    const last = reader.last;
    const same = last?.id12 === this.id12;
    const since = same ? cursorSeconds(last.cursor) : last ? undefined : reader.afterSeconds;
    const skipTo = same ? last.cursor : undefined;
    const requestMs = reader.config.now();
    // A stopped run's log is read without following: podman 4.3 cuts a followed log of a stopped container.
    const follow = info.running;
    const stream = await api.logs(info.id, since, follow, signal);
    const puller = new StreamPuller(stream, wakeup.wake);
    this.puller = puller;
    const container = reader.container(info);
    const detail = `Reading the log of container "${name}" (${info.state})`;
    yield reader.status('backfill', detail, { container, backfill: { entries: 0, done: false } });

    const demux = new DockerLogDemuxer({ tty: info.tty });
    const counter = new CursorCounter(info.id);
    const take = (lines: DockerLine[]) => {
      for (const l of lines) {
        const { cursor, ns } = counter.next(l.endNs ?? l.tsNs);
        if (skipTo !== undefined && cursor <= skipTo) continue;
        const ts = l.tsNs ?? ns;
        const line: SourceLine = { cursor, ts: nsToIso(ts), stream: l.stream, text: l.text };
        if (l.truncated) line.truncated = true;
        if (!this.live && nsToMs(ts) >= requestMs) this.live = true;
        (this.live ? this.fresh : this.backfill).push(line);
      }
    };

    let coalesced = false;
    let restarted = false;
    try {
      for (;;) {
        if (signal.aborted) return 'again';
        const chunk = puller.read();
        if (chunk) {
          take(demux.push(chunk));
          coalesced = false;
          yield* this.drain(false);
          continue;
        }
        if (this.backfill.length + this.fresh.length > 0 && !coalesced) {
          // Group what arrives together: a moment while backfilling, one turn of the event loop when live.
          coalesced = true;
          if (this.live) await new Promise((resolve) => setImmediate(resolve));
          else await wakeup.wait(coalesceMs);
          continue;
        }
        coalesced = false;
        yield* this.drain(true);
        if (puller.done) break;
        if (reader.started) {
          // Podman may keep the old stream open a while after a restart: the new run is read from a new one.
          reader.started = false;
          const current = await api.inspect(info.id, signal);
          if (!current || current.startedAt !== info.startedAt) {
            restarted = true;
            break;
          }
        }
        const why = await wakeup.wait(this.live || !follow ? undefined : idleMs);
        if (why === 'timeout' && !this.live) {
          this.live = true;
          yield* this.drain(true);
        }
      }
      // The end of a stopped run's log ends its last line. Any other stream's end may come early (podman cuts
      // a followed log, the API may go away): its unfinished line is read again, whole, from the last line on.
      if (puller.clean && !follow && !restarted) {
        take(demux.end());
        yield* this.drain(true);
      }
    } finally {
      puller.close();
    }
    if (signal.aborted || restarted) return 'again';
    const now = await api.inspect(info.id, signal);
    if (!now || now.startedAt !== info.startedAt) return 'again'; // removed, or already started again
    // A followed stream of a run that stopped may miss its end: read the rest once more, not following.
    if (!now.running) return !follow && puller.clean ? 'exhausted' : 'again';
    if (!follow) return 'again'; // started meanwhile
    // The run goes on but its stream ended (the engine closed it): attach again after a short pause.
    await reader.pause(reader.nextWait());
    return 'again';
  }

  /** Yields what is pending: full batches only, or everything (`all`), backfill first, then live. */
  private *drain(all: boolean): Generator<SourceEvent> {
    // Once live lines came, the history before them goes out at once, before they do.
    while (batchFull(this.backfill) || ((all || this.live) && this.backfill.length > 0)) {
      yield this.deliver(this.backfill.splice(0, batchSize(this.backfill)), false);
    }
    if (this.live && !this.toldLive) {
      this.toldLive = true;
      const detail = `Following the log of container "${this.reader.config.containerName}" live`;
      yield this.reader.status('live', detail, { backfill: { entries: this.entries, done: true } });
    }
    while (batchFull(this.fresh) || (all && this.fresh.length > 0)) {
      yield this.deliver(this.fresh.splice(0, batchSize(this.fresh)), true);
    }
  }

  private deliver(lines: SourceLine[], live: boolean): SourceEvent {
    if (!live) this.entries += lines.length;
    this.reader.last = { cursor: lines[lines.length - 1]!.cursor, id12: this.id12 };
    return { type: 'lines', lines, live };
  }
}
