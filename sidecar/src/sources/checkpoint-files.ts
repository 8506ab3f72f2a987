// The files a source keeps its checkpoints in (DATA_DIR/checkpoints/<source>/): one JSON file per checkpoint,
// named so that names sort in log order, written whole (temporary file, then rename) with the hash of its body on
// its first line, so a damaged file is told from a good one and ignored. What a checkpoint holds and which ones
// are kept is each source's (file/checkpoint-store.ts, docker/checkpoint-store.ts).
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';

/** The format of the checkpoint files and of the reader's state in them (ParserState): a change of either changes it. */
export const CHECKPOINT_VERSION = 3;
/** Checkpoints kept of the newest part of a log: the newest DENSE as they are, older ones thinned to stay spread. */
export const MAX_CHECKPOINTS = 12;
const DENSE = 4;
export const CHECKPOINT_SUFFIX = '.ckpt';
const STALE_TMP_MS = 60_000;

export class CheckpointFiles {
  constructor(readonly dir: string) {}

  /** Writes `value` as JSON under `name` (replacing it); says so once on stderr when it cannot. */
  write(name: string, value: object): boolean {
    // One copy of the body in memory (it is written while the sidecar reads on): the JSON, as bytes.
    const body = Buffer.from(JSON.stringify(value));
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, `${createHash('sha256').update(body).digest('hex')}\n`);
        for (let done = 0; done < body.length;) done += writeSync(fd, body, done);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, name));
      return true;
    } catch (error) {
      warnOnce(`cannot write checkpoints in ${this.dir}: ${(error as Error).message}`);
      this.remove([basename(tmp)]);
      return false;
    }
  }

  /** The JSON in file `name`, or undefined when it is missing, unreadable or damaged. */
  read(name: string): unknown {
    let text: string;
    try {
      text = readFileSync(join(this.dir, name), 'utf8');
    } catch {
      return undefined;
    }
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    if (nl !== 64 || text.slice(0, nl) !== createHash('sha256').update(body).digest('hex')) return undefined;
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Checkpoint file names in log order. */
  names(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith(CHECKPOINT_SUFFIX) && !n.startsWith('.'))
        .sort();
    } catch {
      return [];
    }
  }

  /**
   * Deletes `names`, and the temporary files of writes that never finished (a crash mid-write: a write here is
   * synchronous, so one older than a minute is no write under way, whatever process id wrote it). Best effort:
   * what cannot be deleted is said once and left, and reading goes on.
   */
  remove(names: readonly string[]): void {
    const now = Date.now();
    let all: string[] = [];
    try {
      all = readdirSync(this.dir);
    } catch (error) {
      warnOnce(`cannot list checkpoints in ${this.dir}: ${(error as Error).message}`);
    }
    const stale = all.filter((name) => name.endsWith('.tmp') && now - this.modifiedMs(name) > STALE_TMP_MS);
    for (const name of [...stale, ...names]) {
      try {
        rmSync(join(this.dir, name), { force: true });
      } catch (error) {
        warnOnce(`cannot remove checkpoint files in ${this.dir}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
  }

  private modifiedMs(name: string): number {
    try {
      return statSync(join(this.dir, name)).mtimeMs;
    } catch {
      return Date.now();
    }
  }
}

/**
 * The names to drop from one log's (in log order, `position` a number growing with it) so that MAX_CHECKPOINTS
 * remain: the first and the newest DENSE stay, and of the others the one whose neighbours are closest goes first.
 */
export function thin(names: readonly string[], position: (name: string) => number): string[] {
  const left = [...names];
  const gone: string[] = [];
  while (left.length > MAX_CHECKPOINTS) {
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

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message) || warned.size > 100) return;
  warned.add(message);
  console.error(`truwatch: ${message}`);
}
