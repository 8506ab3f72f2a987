// The four Docker Engine API calls the sidecar makes, all GET: list (by exact name), inspect, logs, events.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';

/** How long a request may wait for its response headers. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ContainerInfo {
  id: string;
  name: string;
  /** Docker's state: running, exited, created, paused, restarting, … */
  state: string;
  running: boolean;
  startedAt?: string;
  tty: boolean;
}

type Dial = (
  request: {
    path: string;
    method: 'GET';
    options: Record<string, unknown>;
    abortSignal: AbortSignal;
    isStream: true;
    statusCodes: Record<number, true | string>;
  },
  callback: (error: unknown, stream: Readable) => void,
) => void;

interface InspectResult {
  Id: string;
  Name?: string;
  State?: { Status?: string; Running?: boolean; StartedAt?: string };
  Config?: { Tty?: boolean };
}

export class DockerApi {
  /**
   * Loaded on the first call, not when the sidecar starts: the sidecar's bundle inlines the sources it may
   * choose, and dockerode with what it loads costs about 20 MB of resident memory, which a file source or the
   * replay does not need.
   */
  private dockerClient: Promise<Docker> | undefined;

  constructor(private readonly socketPath: string) {}

  private get docker(): Promise<Docker> {
    this.dockerClient ??= import('dockerode').then(
      ({ default: Docker }) => new Docker({ socketPath: this.socketPath }),
    );
    return this.dockerClient;
  }

  /** The id of the container named exactly `name` (Docker's name filter also matches substrings). */
  async findByName(name: string, signal: AbortSignal): Promise<string | undefined> {
    const list = await this.call(signal, false, (abortSignal) =>
      this.docker.then((docker) =>
        docker.listContainers({ all: true, filters: { name: [name] }, abortSignal }),
      ),
    );
    return list.find((c) => c.Names?.some((n) => n === `/${name}` || n === name))?.Id;
  }

  /** The container's state, or undefined when it no longer exists. */
  async inspect(id: string, signal: AbortSignal): Promise<ContainerInfo | undefined> {
    let info: InspectResult;
    try {
      info = (await this.call(signal, false, (abortSignal) =>
        this.docker.then((docker) => docker.getContainer(id).inspect({ abortSignal })),
      )) as InspectResult;
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    const state = info.State ?? {};
    const result: ContainerInfo = {
      id: info.Id,
      name: (info.Name ?? '').replace(/^\//, ''),
      state: state.Status ?? 'unknown',
      running: state.Running === true,
      tty: info.Config?.Tty === true,
    };
    if (state.StartedAt && !state.StartedAt.startsWith('0001-')) result.startedAt = state.StartedAt;
    return result;
  }

  /**
   * The log as a stream, stdout and stderr with timestamps, from `since` (unix seconds) or the beginning;
   * `follow` keeps it open for new lines. Dialled directly: dockerode buffers a log it does not follow whole.
   */
  async logs(id: string, since: number | undefined, follow: boolean, signal: AbortSignal): Promise<Readable> {
    const options: Record<string, unknown> = { follow, stdout: true, stderr: true, timestamps: true };
    if (since !== undefined) options.since = since;
    const modem = (await this.docker).modem as { dial: Dial };
    return this.call(
      signal,
      true,
      (abortSignal) =>
        new Promise((resolve, reject) =>
          modem.dial(
            {
              path: `/containers/${encodeURIComponent(id)}/logs?`,
              method: 'GET',
              options,
              abortSignal,
              isStream: true,
              statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
            },
            (error, stream) => (error ? reject(error) : resolve(stream)),
          ),
        ),
    );
  }

  /** Follows the container events of containers with this name (any id): newline-delimited JSON. */
  events(name: string, signal: AbortSignal): Promise<Readable> {
    return this.call(
      signal,
      true,
      async (abortSignal) =>
        (await (
          await this.docker
        ).getEvents({
          filters: { type: ['container'], container: [name] },
          abortSignal,
        })) as Readable,
    );
  }

  /**
   * One request, ended by `signal` or by a timeout until its response comes. A stream (`long`) then stays
   * open until `signal` aborts or it is destroyed.
   */
  private async call<T>(
    signal: AbortSignal,
    long: boolean,
    request: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort();
    }, REQUEST_TIMEOUT_MS);
    let result: T | undefined;
    try {
      result = await request(controller.signal);
      return result;
    } catch (error) {
      throw timedOut ? Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }) : error;
    } finally {
      clearTimeout(timer);
      const stream = long ? (result as Readable | undefined) : undefined;
      if (stream) stream.once('close', () => signal.removeEventListener('abort', abort));
      else signal.removeEventListener('abort', abort);
    }
  }
}

/** Whether an error says the container is gone (podman answers 500 "no such container" after a removal). */
export function isGone(error: unknown): boolean {
  const e = error as { statusCode?: number; message?: string };
  return e?.statusCode === 404 || /no such container/i.test(e?.message ?? '');
}

/** Whether an error means the API is not there (socket missing, refused, closed), and a short reason. */
export function describeError(error: unknown): { unreachable: boolean; reason: string } {
  const e = error as { code?: string; statusCode?: number; message?: string; name?: string };
  const code = e?.code ?? '';
  if (['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'EACCES', 'ENOTSOCK', 'ETIMEDOUT'].includes(code)) {
    return { unreachable: true, reason: code };
  }
  if (e?.message === 'socket hang up' || e?.name === 'AbortError') {
    return { unreachable: true, reason: e.message ?? 'closed' };
  }
  const reason = (e?.message ?? String(error)).replace(/\s+/g, ' ').trim().slice(0, 200);
  return { unreachable: false, reason: e?.statusCode ? `HTTP ${e.statusCode}: ${reason}` : reason };
}
