// The Docker source's ear on the engine: it follows the container events for the runner's name (by name, so a
// re-created container counts too) and wakes the reader at once when the container is created, started,
// stopped or removed, rather than at its next poll. It remembers that a start came, for the follower: the log
// stream it reads may belong to a run that was just replaced. A stream that ends wakes the reader too, which
// opens it again on its next look at the container.
import type { Readable } from 'node:stream';
import { LineSplitter } from '../lines.ts';
import type { DockerApi } from './api.ts';
import type { Wakeup } from './wait.ts';

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

export class ContainerEvents {
  private stream: Readable | undefined;
  /** A start event came since the last takeStart(). */
  private started = false;

  constructor(
    private readonly api: DockerApi,
    private readonly containerName: string,
    private readonly wakeup: Wakeup,
  ) {}

  /** Opens the event stream, unless it is open. */
  async open(signal: AbortSignal): Promise<void> {
    if (this.stream) return;
    const stream = await this.api.events(this.containerName, signal);
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
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.wakeup.wake();
    };
    stream.on('end', closed);
    stream.on('error', closed);
    stream.on('close', closed);
    this.stream = stream;
  }

  /** Whether the container started (again) since the last call; the next call tells only of later starts. */
  takeStart(): boolean {
    const started = this.started;
    this.started = false;
    return started;
  }

  close(): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.destroy();
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
