// The Docker source: follows the runner-node container's log through the Docker Engine API (GET only), across
// restarts, stops, re-creations and outages of the API itself, with cursors stable enough to resume from.
import type { Status } from '../../../../protocol/node-events.ts';
import { DockerApi, describeError, isGone, type ContainerInfo } from './api.ts';
import { cursorSeconds } from './cursor.ts';
import { LogFollower } from './follow.ts';
import { Wakeup, backoff } from './wait.ts';
import { sleep } from '../sleep.ts';
import { LineSplitter } from '../lines.ts';
import { CORRELATION_WINDOW_MS, type LogSource, type ReadOptions, type SourceEvent } from '../source.ts';

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
}

export type DockerReaderConfig = Required<DockerSourceOptions> & { coalesceMs: number };

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
    };
    this.description = `Docker container "${options.containerName}" via ${options.socketPath}`;
  }

  read(options: ReadOptions): AsyncIterable<SourceEvent> {
    return new DockerReader(this.config, options).run();
  }
}

/** Events after which the container is looked at again. */
const WAKE_ACTIONS = new Set([
  'create',
  'start',
  'restart',
  'unpause',
  'die',
  'stop',
  'kill',
  'destroy',
  'remove',
]);
const START_ACTIONS = new Set(['start', 'restart', 'unpause']);

type Container = NonNullable<Status['container']>;

/** One read(): the state that outlives a single log stream (last delivered cursor, retries, events). */
export class DockerReader {
  readonly api: DockerApi;
  readonly wakeup = new Wakeup();
  readonly signal: AbortSignal;
  /** The last line handed to the consumer: re-reads skip everything up to it. */
  last: { cursor: string; id12: string } | undefined;
  /** Set when a start event came: the followed run may have been replaced by a new one. */
  started = false;
  /** Where the first read starts when resuming: the resume cursor's second minus the correlation window. */
  readonly afterSeconds: number | undefined;
  /** `id|startedAt` of a stopped run whose log was read to its end. */
  private exhausted: string | undefined;
  private toldWaitingFor: string | undefined;
  private failures = 0;
  private waits = 0;
  private events: NodeJS.ReadableStream | undefined;
  private follower: LogFollower | undefined;
  private lastError = '';
  private known: Container;

  constructor(
    readonly config: DockerReaderConfig,
    options: ReadOptions,
  ) {
    this.api = new DockerApi(config.socketPath);
    this.signal = options.signal;
    const seconds = options.after === undefined ? undefined : cursorSeconds(options.after);
    this.afterSeconds =
      seconds === undefined ? undefined : Math.max(0, seconds - CORRELATION_WINDOW_MS / 1000);
    this.known = { name: config.containerName, state: 'unknown' };
  }

  async *run(): AsyncGenerator<SourceEvent> {
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
          this.closeStreams();
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
      this.closeStreams();
    }
  }

  status(state: Status['state'], detail: string, extra: Partial<Status> = {}): SourceEvent {
    return { type: 'status', status: { source: 'docker', state, detail, container: this.known, ...extra } };
  }

  container(info: ContainerInfo): Container {
    const c: Container = { name: this.config.containerName, id: info.id, state: info.state };
    if (info.startedAt) c.startedAt = info.startedAt;
    this.known = c;
    return c;
  }

  /** Waits for an event about the container, the abort, or the next poll. */
  async pause(ms: number): Promise<void> {
    await this.wakeup.wait(ms);
  }

  nextWait(): number {
    return backoff(this.waits++, this.config.retry.initialMs, this.config.retry.maxMs);
  }

  /** Finds the container and follows its log once, or waits for it to exist or start. */
  private async *cycle(): AsyncGenerator<SourceEvent> {
    const { signal } = this;
    const { socketPath, containerName: name } = this.config;
    await this.openEvents();
    this.started = false; // what inspect tells from here on includes any start before
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
    this.follower = new LogFollower(this, info);
    try {
      const end = yield* this.follower.follow();
      if (end === 'exhausted') this.exhausted = run;
    } finally {
      this.follower = undefined;
    }
  }

  /** Follows the container events (by name, so a re-created container counts too) to wake up at once. */
  private async openEvents(): Promise<void> {
    if (this.events) return;
    const stream = await this.api.events(this.config.containerName, this.signal);
    const splitter = new LineSplitter(64 * 1024);
    stream.on('data', (chunk: Buffer) => {
      for (const { text } of splitter.push(chunk)) {
        const action = eventAction(text);
        if (action === undefined || !WAKE_ACTIONS.has(action)) continue;
        if (START_ACTIONS.has(action)) this.started = true;
        this.wakeup.wake();
      }
    });
    const closed = () => {
      if (this.events !== stream) return;
      this.events = undefined;
      this.wakeup.wake();
    };
    stream.on('end', closed);
    stream.on('error', closed);
    stream.on('close', closed);
    this.events = stream;
  }

  private closeStreams(): void {
    const events = this.events as { destroy?: () => void } | undefined;
    this.events = undefined;
    events?.destroy?.();
    this.follower?.close();
  }
}

function eventAction(text: string): string | undefined {
  try {
    const event = JSON.parse(text) as { Action?: unknown; status?: unknown };
    const action = event.Action ?? event.status;
    return typeof action === 'string' ? action : undefined;
  } catch {
    return undefined;
  }
}
