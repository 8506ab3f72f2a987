// Checkpoints of the Docker source on disk (DATA_DIR/checkpoints/docker/): after a line of a container's log, the
// state of the reader that had read everything up to it. A resume in that container starts at the last one at or
// before its cursor, within the correlation window (reading on from about that line's second, skipping up to the
// line), instead of reading the day before it again. Named by the line's cursor, which holds the container's id
// and sorts in log order. A few are kept, of the last day of the log of the container read now only (a container's
// log is its own: a new one starts its own checkpoints). A file that cannot be read, is damaged or has another
// version is ignored.
import { CheckpointFiles, CHECKPOINT_SUFFIX, CHECKPOINT_VERSION, thin } from '../checkpoint-files.ts';
import { CORRELATION_WINDOW_MS, type ReadEvent, type SourceLine } from '../source.ts';
import { nsToMs, parseCursor } from './cursor.ts';

export interface DockerCheckpoint {
  version: number;
  /** The cursor of the last line read before it: the reader takes up at the line after it. */
  cursor: string;
  state: unknown;
}

export class DockerCheckpointStore {
  private readonly files: CheckpointFiles;

  constructor(readonly dir: string) {
    this.files = new CheckpointFiles(dir);
  }

  /** Writes a checkpoint after the line `cursor` (a Docker cursor), then drops the ones beyond the bounds. */
  save(cursor: string, state: unknown): void {
    const id12 = parseCursor(cursor)?.id12;
    if (id12 === undefined) return;
    const checkpoint: DockerCheckpoint = { version: CHECKPOINT_VERSION, cursor, state };
    if (this.files.write(nameOf(cursor), checkpoint)) this.prune(id12);
  }

  /**
   * The checkpoints of the container of cursor `after`, at or before it and within the correlation window before
   * it (an older one would read more than the window does), the latest first, read lazily.
   */
  *before(after: string): Generator<DockerCheckpoint> {
    const at = parseCursor(after);
    if (!at) return;
    const fromMs = nsToMs(at.ns) - CORRELATION_WINDOW_MS;
    const names = this.files
      .names()
      .filter((name) => {
        const cursor = parseCursor(cursorOf(name));
        return cursorOf(name) <= after && cursor?.id12 === at.id12 && nsToMs(cursor.ns) >= fromMs;
      })
      .reverse();
    for (const name of names) {
      const cp = this.files.read(name) as DockerCheckpoint | undefined;
      if (cp?.version === CHECKPOINT_VERSION && cp.cursor === cursorOf(name) && cp.state !== undefined)
        yield cp;
    }
  }

  /**
   * Keeps the checkpoints of the container `id12` (the one read now) of the last correlation window of its log
   * (a resume never starts at an older one), thinned over it.
   */
  private prune(id12: string): void {
    const names = this.files.names();
    const position = (name: string) => nsToMs(parseCursor(cursorOf(name))!.ns);
    const own = names.filter((name) => parseCursor(cursorOf(name))?.id12 === id12);
    const newestMs = Math.max(...own.map(position));
    const recent = own.filter((name) => position(name) >= newestMs - CORRELATION_WINDOW_MS);
    const gone = names.filter((name) => !recent.includes(name));
    this.files.remove([...gone, ...thin(recent, position)]);
  }
}

const nameOf = (cursor: string) => `${cursor}${CHECKPOINT_SUFFIX}`;
const cursorOf = (name: string) => name.slice(0, -CHECKPOINT_SUFFIX.length);

/** Characters of log text handed out between two checkpoints: a resume near the end reads about this much again. */
export const CHECKPOINT_CHARS = 1024 * 1024;

/** Offers the reader that asked for them a checkpoint after a batch, every CHECKPOINT_CHARS and on going live. */
export class CheckpointOffers {
  private charsSince = 0;
  private lastCursor: string | undefined;

  constructor(private readonly store: DockerCheckpointStore) {}

  /** Counts a batch handed out: every line before the next one has been, so a checkpoint may follow it. */
  handedOut(lines: readonly SourceLine[]): void {
    for (const line of lines) this.charsSince += line.text.length + 1;
    this.lastCursor = lines.at(-1)?.cursor ?? this.lastCursor;
  }

  /** A checkpoint after the last line handed out, when one is due (`now`: when anything was read since the last). */
  due(now = false): ReadEvent | undefined {
    const cursor = this.lastCursor;
    if (cursor === undefined || this.charsSince < (now ? 1 : CHECKPOINT_CHARS)) return undefined;
    // The reader may decline (its state is not one to keep here): then it is offered again after the next batch.
    return {
      type: 'checkpoint',
      save: (state: unknown) => {
        this.store.save(cursor, state);
        this.charsSince = 0;
      },
    };
  }
}
