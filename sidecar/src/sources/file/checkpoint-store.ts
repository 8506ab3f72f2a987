// Checkpoints of the file source on disk (DATA_DIR/checkpoints/file/): at a line of a day's current .log, the
// state of the reader that had read everything before it, with what identifies the file there. A resume starts
// at the last valid one before its cursor instead of reading the day again. One file per checkpoint, named by
// the cursor of its line (so names sort in log order), written whole (temporary file, then rename); a few kept,
// of the newest day only (a resume starts at one only in the current file). A file that cannot be read, is
// damaged or has another version is ignored.
import {
  CheckpointFiles,
  CHECKPOINT_SUFFIX as SUFFIX,
  CHECKPOINT_VERSION,
  thin,
} from '../checkpoint-files.ts';
import { formatFileCursor, parseFileCursor } from './cursor.ts';

/** Where in which file a checkpoint was taken. */
export interface CheckpointPlace {
  date: string;
  gen: number;
  /** Byte offset of the line the reader takes up at. */
  offset: number;
  /** The file's inode. */
  ino: number;
  /** A hash of the file's bytes around the offset (checkpoint-window.ts): the same file with the same text before it. */
  window: string;
}

export interface Checkpoint extends CheckpointPlace {
  version: number;
  state: unknown;
}

export class CheckpointStore {
  private readonly files: CheckpointFiles;

  constructor(readonly dir: string) {
    this.files = new CheckpointFiles(dir);
  }

  /** Writes a checkpoint (replacing one at the same line), then drops the ones beyond the bounds. */
  save(place: CheckpointPlace, state: unknown): void {
    const checkpoint: Checkpoint = { version: CHECKPOINT_VERSION, ...place, state };
    if (this.files.write(nameOf(place), checkpoint)) this.prune();
  }

  /** Whether a checkpoint of this place is there (its identity too). */
  has(place: CheckpointPlace): boolean {
    const cp = this.load(nameOf(place));
    return cp !== undefined && cp.ino === place.ino && cp.window === place.window;
  }

  /** The checkpoints of a day's generation at or before `offset`, the latest first, read lazily. */
  *before(date: string, gen: number, offset: number): Generator<Checkpoint> {
    const names = this.files
      .names()
      .filter((n) => {
        const c = parseFileCursor(n.slice(0, -SUFFIX.length));
        return c !== undefined && c.date === date && c.gen === gen && c.offset <= offset;
      })
      .reverse();
    for (const name of names) {
      const cp = this.load(name);
      if (cp) yield cp;
    }
  }

  /** The checkpoint in file `name`, or undefined when it is missing, damaged, or of another version. */
  private load(name: string): Checkpoint | undefined {
    const cp = this.files.read(name) as Checkpoint | undefined;
    if (cp?.version !== CHECKPOINT_VERSION || nameOf(cp) !== name || cp.state === undefined) return undefined;
    return cp;
  }

  /** Keeps the newest day's checkpoints (a resume starts at one only in the current file), thinned. */
  private prune(): void {
    const names = this.files.names();
    const newest = names.at(-1)?.slice(2, 12);
    const day = names.filter((n) => n.slice(2, 12) === newest);
    const at = (name: string) => parseFileCursor(name.slice(0, -SUFFIX.length))!;
    const position = (name: string) => at(name).gen * 2 ** 40 + at(name).offset;
    this.files.remove([...names.filter((n) => n.slice(2, 12) !== newest), ...thin(day, position)]);
  }
}

function nameOf(place: Pick<CheckpointPlace, 'date' | 'gen' | 'offset'>): string {
  return `${formatFileCursor(place.date, place.gen, place.offset)}${SUFFIX}`;
}
