// Checkpoints of the file source on disk (DATA_DIR/checkpoints/file/): at a line of a day's current .log, the
// state of the reader that had read everything before it, with what identifies the file there. A resume starts
// at the last valid one before its cursor instead of reading the day again. One file per checkpoint, named by
// the cursor of its line (so names sort in log order), written whole (temporary file, then rename); a few kept,
// of the newest day only (a resume starts at one only in the current file). A file that cannot be read, is
// damaged or has another version is ignored.
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { formatFileCursor, parseFileCursor } from './cursor.ts';

/** The format of a checkpoint file and of the reader's state in it (ParserState): a change of either changes it. */
export const CHECKPOINT_VERSION = 3;
/** Checkpoints kept: the newest DENSE as they are, older ones thinned to stay spread over the day. */
export const MAX_CHECKPOINTS = 12;
const DENSE = 4;
const SUFFIX = '.ckpt';

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
  constructor(readonly dir: string) {}

  /** Writes a checkpoint (replacing one at the same line), then drops the ones beyond the bounds. */
  save(place: CheckpointPlace, state: unknown): void {
    // One copy of the body in memory (it is written while the sidecar reads on): the JSON, as bytes.
    const body = Buffer.from(
      JSON.stringify({ version: CHECKPOINT_VERSION, ...place, state } satisfies Checkpoint),
    );
    const name = nameOf(place);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        // First line: the hash of the rest, so a damaged file is told from a good one.
        writeSync(fd, `${createHash('sha256').update(body).digest('hex')}\n`);
        for (let done = 0; done < body.length;) done += writeSync(fd, body, done);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, name));
      this.prune();
    } catch (error) {
      rmSync(tmp, { force: true });
      warnOnce(`cannot write checkpoints in ${this.dir}: ${(error as Error).message}`);
    }
  }

  /** Whether a checkpoint of this place is there (its identity too). */
  has(place: CheckpointPlace): boolean {
    const cp = this.load(nameOf(place));
    return cp !== undefined && cp.ino === place.ino && cp.window === place.window;
  }

  /** The checkpoints of a day's generation at or before `offset`, the latest first, read lazily. */
  *before(date: string, gen: number, offset: number): Generator<Checkpoint> {
    const names = this.names()
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
    let text: string;
    try {
      text = readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return undefined;
    }
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    if (nl !== 64 || text.slice(0, nl) !== sha256(body)) return undefined;
    try {
      const cp = JSON.parse(body) as Checkpoint;
      if (cp.version !== CHECKPOINT_VERSION || nameOf(cp) !== name || cp.state === undefined)
        return undefined;
      return cp;
    } catch {
      return undefined;
    }
  }

  /** Checkpoint file names in log order. */
  private names(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.'))
        .sort();
    } catch {
      return [];
    }
  }

  private prune(): void {
    for (const name of readdirSync(this.dir))
      if (name.endsWith('.tmp') && !name.endsWith(`.${process.pid}.tmp`))
        rmSync(join(this.dir, name), { force: true });
    const names = this.names();
    const newest = names.at(-1)?.slice(2, 12);
    const day = names.filter((n) => n.slice(2, 12) === newest);
    const gone = [...names.filter((n) => n.slice(2, 12) !== newest), ...thin(day)];
    for (const name of gone) rmSync(join(this.dir, name), { force: true });
  }
}

/** The names to drop from one day's (in log order) so that MAX_CHECKPOINTS remain, spread over the day. */
function thin(day: string[]): string[] {
  const left = [...day];
  const gone: string[] = [];
  const at = (name: string) => parseFileCursor(name.slice(0, -SUFFIX.length))!;
  const position = (name: string) => at(name).gen * 2 ** 40 + at(name).offset;
  while (left.length > MAX_CHECKPOINTS) {
    // The older checkpoint (not the first, not among the newest DENSE) whose neighbours are closest goes.
    let best = 1;
    for (let i = 2; i < left.length - DENSE; i++)
      if (
        position(left[i + 1]!) - position(left[i - 1]!) <
        position(left[best + 1]!) - position(left[best - 1]!)
      )
        best = i;
    gone.push(...left.splice(best, 1));
  }
  return gone;
}

function nameOf(place: Pick<CheckpointPlace, 'date' | 'gen' | 'offset'>): string {
  return `${formatFileCursor(place.date, place.gen, place.offset)}${SUFFIX}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message) || warned.size > 100) return;
  warned.add(message);
  console.error(`truwatch: ${message}`);
}
