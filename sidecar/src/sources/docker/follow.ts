// Follows one log stream of one container run, as the reader opened it: backfill then live, batches,
// backpressure, de-duplication of what a re-read delivers again, and how the stream ended. The follower owns
// everything about its stream (the pull reader, the pending lines, whether it went live, the last line it
// handed out); the reader hands it what it needs and takes back only the last cursor and the end.
import type { Readable } from 'node:stream';
import type { Status } from '../../../../protocol/node-events.ts';
import { batchFull, batchSize, type ReadEvent, type SourceEvent, type SourceLine } from '../source.ts';
import type { ContainerInfo, DockerApi } from './api.ts';
import type { CheckpointOffers } from './checkpoint-store.ts';
import { CursorCounter, nsToIso, nsToMs } from './cursor.ts';
import type { ContainerEvents } from './events.ts';
import { DockerLogDemuxer, type DockerLine } from './frames.ts';
import { StreamPuller, type Wakeup } from './wait.ts';

/**
 * How a followed stream ended: read to the end of a stopped run ('exhausted'), to be attached again at once
 * ('again'), or to be attached again after a short pause: the run goes on but the engine closed its stream.
 */
export type FollowEnd = 'exhausted' | 'again' | 'pause';

/** What a follower shares with its reader: the API, the abort, the one wake-up, the container's events. */
export interface FollowContext {
  api: DockerApi;
  signal: AbortSignal;
  /** Poked by the log stream, the container events and the abort: what the follower waits on. */
  wakeup: Wakeup;
  events: ContainerEvents;
  containerName: string;
  /** Quiet time after which a followed log counts as caught up (status `live`), in ms. */
  idleMs: number;
  /** How long lines arriving while backfilling are gathered into one batch, in ms. */
  coalesceMs: number;
  /** Checkpoints to offer the reader after batches, when it asked for them. */
  checkpoints: CheckpointOffers | undefined;
}

/** One answer to a log request, as the reader asked for it. */
export interface OpenedLog {
  stream: Readable;
  /** Opened to follow (a running run), or to read to its end (a stopped run). */
  follow: boolean;
  /** When the log was requested (ms since epoch): lines older than that are history (backfill). */
  requestMs: number;
  /** A re-read of the same run skips every line up to this cursor: they were handed out already. */
  skipTo: string | undefined;
}

type Container = NonNullable<Status['container']>;

export class LogFollower {
  private readonly puller: StreamPuller;
  private backfill: SourceLine[] = [];
  private fresh: SourceLine[] = [];
  private live = false;
  private toldLive = false;
  private entries = 0;
  private delivered: string | undefined;

  constructor(
    private readonly context: FollowContext,
    private readonly info: ContainerInfo,
    /** The container as the statuses show it. */
    private readonly container: Container,
    private readonly log: OpenedLog,
  ) {
    this.puller = new StreamPuller(log.stream, context.wakeup.wake);
  }

  /** The cursor of the last line handed out, if any. */
  get lastCursor(): string | undefined {
    return this.delivered;
  }

  async *follow(): AsyncGenerator<ReadEvent, FollowEnd> {
    const { info, puller } = this;
    const { follow, requestMs, skipTo } = this.log;
    const { api, signal, wakeup, events, containerName: name, idleMs, coalesceMs } = this.context;
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
      // Inside the try: a consumer that stops at this first status closes the stream (finally), at once.
      const detail = `Reading the log of container "${name}" (${info.state})`;
      yield this.status('backfill', detail, { backfill: { entries: 0, done: false } });
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
        if (events.takeStart()) {
          // Podman may keep the old stream open a while after a restart: the new run is read from a new one.
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
    return 'pause';
  }

  /** Yields what is pending: full batches only, or everything (`all`), backfill first, then live. */
  private *drain(all: boolean): Generator<ReadEvent> {
    // Once live lines came, the history before them goes out at once, before they do.
    while (batchFull(this.backfill) || ((all || this.live) && this.backfill.length > 0)) {
      yield* this.deliver(this.backfill.splice(0, batchSize(this.backfill)), false);
    }
    if (this.live && !this.toldLive) {
      this.toldLive = true;
      const detail = `Following the log of container "${this.context.containerName}" live`;
      yield this.status('live', detail, { backfill: { entries: this.entries, done: true } });
      const checkpoint = this.context.checkpoints?.due(true);
      if (checkpoint) yield checkpoint;
    }
    while (batchFull(this.fresh) || (all && this.fresh.length > 0)) {
      yield* this.deliver(this.fresh.splice(0, batchSize(this.fresh)), true);
    }
  }

  /** Hands out a batch, then a checkpoint after it when one is due. */
  private *deliver(lines: SourceLine[], live: boolean): Generator<ReadEvent> {
    if (!live) this.entries += lines.length;
    this.delivered = lines[lines.length - 1]!.cursor;
    yield { type: 'lines', lines, live };
    const { checkpoints } = this.context;
    if (!checkpoints) return;
    checkpoints.handedOut(lines);
    const checkpoint = checkpoints.due();
    if (checkpoint) yield checkpoint;
  }

  private status(state: Status['state'], detail: string, extra: Partial<Status>): SourceEvent {
    return {
      type: 'status',
      status: { source: 'docker', state, detail, container: this.container, ...extra },
    };
  }
}
