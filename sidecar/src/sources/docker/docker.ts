// The Docker source: follows the runner-node container's log through the Docker Engine API (GET only), across
// restarts, stops, re-creations and outages of the API itself, with cursors stable enough to resume from.
// With a checkpoint store, a resume in the container read now starts at the last checkpoint before its cursor
// (the reader's state saved there comes first, as a `restore` event) instead of reading the day before again.
import type { Status } from '../../../../protocol/node-events.ts';
import { DockerApi, describeError, isGone, type ContainerInfo } from './api.ts';
import { CheckpointOffers, type DockerCheckpointStore } from './checkpoint-store.ts';
import { cursorSeconds, parseCursor } from './cursor.ts';
import { ContainerEvents } from './events.ts';
import { LogFollower, type FollowEnd } from './follow.ts';
import { Wakeup, backoff } from './wait.ts';
import { sleep } from '../sleep.ts';
import { CORRELATION_WINDOW_MS, type LogSource, type ReadEvent, type ReadOptions } from '../source.ts';

export interface DockerSourceOptions {
  /** The container's exact name (`runner-node`, not `runner-node-2`). */
  containerName: string;
  /** The Docker Engine API socket, e.g. /var/run/docker.sock. */
  socketPath: string;
  /** Delays between attempts while the API is unreachable or the container missing or stopped. */
  retry?: { initialMs: number; maxMs: number };
  /** The clock (ms since epoch): lines older than the moment the log was requested are backfill. */
  now?: () => number;
  /** Quiet time after which a followed log counts as caught up (status `live`), in ms. */
  idleMs?: number;
  /** Checkpoints to resume from, and to keep for the reader that asks for them (checkpoint-store.ts). */
  checkpoints?: DockerCheckpointStore;
}

type DockerReaderConfig = Required<Omit<DockerSourceOptions, 'checkpoints'>> & {
  coalesceMs: number;
  checkpoints: DockerCheckpointStore | undefined;
};

export class DockerSource implements LogSource {
  readonly kind = 'docker' as const;
  readonly description: string;
  private readonly config: DockerReaderConfig;

  constructor(options: DockerSourceOptions) {
    this.config = {
      retry: { initialMs: 250, maxMs: 10_000 },
      now: Date.now,
      idleMs: 250,
      coalesceMs: 10,
      ...options,
      checkpoints: options.checkpoints,
    };
    this.description = `Docker container "${options.containerName}" via ${options.socketPath}`;
  }

  read(options: ReadOptions): AsyncIterable<ReadEvent> {
    return new DockerReader(this.config, options).run();
  }
}

type Container = NonNullable<Status['container']>;

/**
 * One read(), and the one owner of the state that outlives a single log stream: the last delivered cursor,
 * retries, what the statuses say of the container. Each run's log is followed by a LogFollower of its own.
 */
class DockerReader {
  private readonly api: DockerApi;
  private readonly wakeup = new Wakeup();
  private readonly events: ContainerEvents;
  private readonly signal: AbortSignal;
  /** The last line handed to the consumer: re-reads skip everything up to it. */
  private last: { cursor: string; id12: string } | undefined;
  /** The resume cursor, if any. */
  private readonly after: string | undefined;
  /** Where the first read starts when resuming without a checkpoint: the cursor's second minus the correlation window. */
  private readonly afterSeconds: number | undefined;
  /** Whether this reader is offered checkpoints (the sidecar's own follower). */
  private readonly offersCheckpoints: boolean;
  /** `id|startedAt` of a stopped run whose log was read to its end. */
  private exhausted: string | undefined;
  private toldWaitingFor: string | undefined;
  private failures = 0;
  private waits = 0;
  private lastError = '';
  private known: Container;

  constructor(
    private readonly config: DockerReaderConfig,
    options: ReadOptions,
  ) {
    this.api = new DockerApi(config.socketPath);
    this.events = new ContainerEvents(this.api, config.containerName, this.wakeup);
    this.signal = options.signal;
    this.after = options.after;
    this.offersCheckpoints = options.checkpoints === true;
    const seconds = options.after === undefined ? undefined : cursorSeconds(options.after);
    this.afterSeconds =
      seconds === undefined ? undefined : Math.max(0, seconds - CORRELATION_WINDOW_MS / 1000);
    this.known = { name: config.containerName, state: 'unknown' };
  }

  async *run(): AsyncGenerator<ReadEvent> {
    const { signal } = this;
    const { socketPath, containerName } = this.config;
    signal.addEventListener('abort', this.wakeup.wake);
    try {
      yield this.status(
        'connecting',
        `Connecting to the Docker API at ${socketPath} for container "${containerName}"`,
      );
      while (!signal.aborted) {
        try {
          yield* this.cycle();
        } catch (error) {
          if (signal.aborted) break;
          this.events.close();
          const delay = backoff(this.failures++, this.config.retry.initialMs, this.config.retry.maxMs);
          if (isGone(error)) {
            // Removed between two calls: look again (shortly), it is no failure of the API.
            await sleep(delay, signal);
            continue;
          }
          const { unreachable, reason } = describeError(error);
          if (!unreachable && reason !== this.lastError) console.error(`truwatch docker source: ${reason}`);
          this.lastError = reason;
          this.toldWaitingFor = undefined;
          const what = unreachable ? `is unreachable (${reason})` : `failed (${reason})`;
          const detail = `The Docker API at ${socketPath} ${what}; retrying in ${delay} ms to follow container "${containerName}"`;
          yield this.status('waiting', detail, {
            retryInMs: delay,
            container: { ...this.known, state: 'unknown' },
          });
          await sleep(delay, signal);
        }
      }
    } finally {
      signal.removeEventListener('abort', this.wakeup.wake);
      this.events.close();
    }
  }

  private status(state: Status['state'], detail: string, extra: Partial<Status> = {}): ReadEvent {
    return { type: 'status', status: { source: 'docker', state, detail, container: this.known, ...extra } };
  }

  private container(info: ContainerInfo): Container {
    const c: Container = { name: this.config.containerName, id: info.id, state: info.state };
    if (info.startedAt) c.startedAt = info.startedAt;
    this.known = c;
    return c;
  }

  /** Waits for an event about the container, the abort, or the next poll. */
  private async pause(ms: number): Promise<void> {
    await this.wakeup.wait(ms);
  }

  private nextWait(): number {
    return backoff(this.waits++, this.config.retry.initialMs, this.config.retry.maxMs);
  }

  /** Finds the container and follows its log once, or waits for it to exist or start. */
  private async *cycle(): AsyncGenerator<ReadEvent> {
    const { signal } = this;
    const { socketPath, containerName: name } = this.config;
    await this.events.open(signal);
    this.events.takeStart(); // forgotten: what inspect tells from here on includes any start before
    const id = await this.api.findByName(name, signal);
    this.failures = 0;
    const info = id === undefined ? undefined : await this.api.inspect(id, signal);
    if (!info) {
      const delay = this.nextWait();
      this.known = { name, state: 'missing' };
      yield this.status(
        'waiting',
        `No container named "${name}" at ${socketPath}; waiting for it to be created`,
        {
          retryInMs: delay,
        },
      );
      await this.pause(delay);
      return;
    }
    const run = `${info.id}|${info.startedAt ?? ''}`;
    if (!info.running && this.exhausted === run) {
      const delay = this.nextWait();
      const container = this.container(info);
      if (this.toldWaitingFor !== run) {
        this.toldWaitingFor = run;
        const detail = `Container "${name}" is ${info.state}; its log is read, waiting for it to start again`;
        yield this.status('waiting', detail, { container, retryInMs: delay });
      }
      await this.pause(delay);
      return;
    }
    this.waits = 0;
    this.toldWaitingFor = undefined;
    this.lastError = '';
    const end = yield* this.followRun(info);
    if (end === 'exhausted') this.exhausted = run;
    // The run goes on but its stream ended (the engine closed it): attach again after a short pause.
    if (end === 'pause') await this.pause(this.nextWait());
  }

  /** Opens the run's log where reading it should start, and follows it until its stream ends. */
  private async *followRun(info: ContainerInfo): AsyncGenerator<ReadEvent, FollowEnd> {
    const { signal } = this;
    // A re-read of the same container starts a second before the last delivered line's and skips up to that line;
    // so does a resume from a checkpoint, at the checkpoint's line. (A second before: a long line comes in pieces,
    // each with its own timestamp, and its cursor is its last piece's: read from that second alone, a line begun
    // in the second before would come cut to its last pieces.)
    const id12 = info.id.slice(0, 12);
    const last = this.last;
    const same = last?.id12 === id12;
    const checkpoint = last ? undefined : this.checkpointFor(id12);
    const skipTo = same ? last.cursor : checkpoint?.cursor;
    const since =
      skipTo !== undefined ? Math.max(0, cursorSeconds(skipTo)! - 1) : last ? undefined : this.afterSeconds;
    if (checkpoint) {
      // Before the log is opened: a consumer that stops here leaves no stream open. From here on the reader
      // is where the checkpoint is: a retry re-attaches after its line, and another container is read from
      // its start, as after any line handed out.
      yield { type: 'restore', state: checkpoint.state };
      this.last = { cursor: checkpoint.cursor, id12 };
    }
    const requestMs = this.config.now();
    // A stopped run's log is read without following: podman 4.3 cuts a followed log of a stopped container.
    const follow = info.running;
    const stream = await this.api.logs(info.id, since, follow, signal);
    const { api, wakeup, events } = this;
    const { containerName, idleMs, coalesceMs } = this.config;
    // Counted per stream: a checkpoint is always after a line of the log being read.
    const store = this.config.checkpoints;
    const checkpoints = store && this.offersCheckpoints ? new CheckpointOffers(store) : undefined;
    const follower = new LogFollower(
      { api, signal, wakeup, events, containerName, idleMs, coalesceMs, checkpoints },
      info,
      this.container(info),
      { stream, follow, requestMs, skipTo },
    );
    try {
      return yield* follower.follow();
    } finally {
      const cursor = follower.lastCursor;
      if (cursor !== undefined) this.last = { cursor, id12 };
    }
  }

  /** The latest checkpoint to resume from (checkpoint-store.ts), when the resume cursor is of the container `id12`. */
  private checkpointFor(id12: string): { cursor: string; state: unknown } | undefined {
    const { after } = this;
    const store = this.config.checkpoints;
    if (!store || after === undefined || parseCursor(after)?.id12 !== id12) return undefined;
    return store.before(after).next().value;
  }
}
