// The file source's view of a log directory: which `*.log` / `*.log.gz` files it holds, grouped by day and put
// in reading order, and where a day's `.log` goes at rotation (its `.log.gz`).
// Links are not followed: a `*.log` that is a symbolic link, a FIFO, a directory or a device is listed as what it
// is (lstat), so that opening it (read.ts) refuses it and the status says so.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The date of a file whose name carries none. */
export const NO_DATE = '0000-00-00';

export interface LogFileInfo {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * One day's log: its `.log`, its `.log.gz`, or both (while the runner gzips it, or when it leaves the `.log`
 * behind). Both hold the same text, so a day is read once, from the `.log` when there is one.
 */
export interface LogDay {
  /** The name without `.log` / `.log.gz`: what ties a day's `.log` to its later `.log.gz`. */
  stem: string;
  /** `YYYY-MM-DD` from the name, or NO_DATE. */
  date: string;
  log?: LogFileInfo;
  gz?: LogFileInfo;
}

const DATE_RE = /(\d{4})-(\d{2})-(\d{2})/g;

/** The last plausible `YYYY-MM-DD` in a file name, or undefined. */
export function dateOfName(name: string): string | undefined {
  let found: string | undefined;
  for (const m of name.matchAll(DATE_RE)) {
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31) found = m[0];
  }
  return found;
}

/** The day before a `YYYY-MM-DD` date, or undefined when it is not one. */
export function dayBefore(date: string): string | undefined {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(ms) || date === NO_DATE) return undefined;
  return new Date(ms - 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

function mtimeOf(day: LogDay): number {
  return day.log?.mtimeMs ?? day.gz?.mtimeMs ?? 0;
}

/**
 * Reading order: days with only a `.log.gz` first, then days with a `.log` (the last of them is the current
 * file); within each group files without a date first (by mtime), then by date.
 */
export function compareDays(a: LogDay, b: LogDay): number {
  const rank = (a.log ? 1 : 0) - (b.log ? 1 : 0);
  if (rank !== 0) return rank;
  const aDated = a.date !== NO_DATE;
  const bDated = b.date !== NO_DATE;
  if (aDated !== bDated) return aDated ? 1 : -1;
  if (!aDated) {
    const byTime = mtimeOf(a) - mtimeOf(b);
    if (byTime !== 0) return byTime;
  } else if (a.date !== b.date) {
    return a.date < b.date ? -1 : 1;
  }
  return a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The log days in `dir`, in reading order, or 'missing' when the directory does not exist.
 * Other errors (permissions) are thrown.
 */
export async function scanLogDir(dir: string): Promise<LogDay[] | 'missing'> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return 'missing';
    throw error;
  }
  const days = new Map<string, LogDay>();
  for (const name of names) {
    const gz = name.endsWith('.log.gz');
    if (!gz && !name.endsWith('.log')) continue;
    const path = join(dir, name);
    let info: LogFileInfo;
    try {
      const st = await lstat(path);
      info = { path, name, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    } catch {
      continue; // gone since readdir (rotation), or unreadable metadata: the next scan tells
    }
    const stem = name.slice(0, name.length - (gz ? 7 : 4));
    let day = days.get(stem);
    if (!day) {
      day = { stem, date: dateOfName(stem) ?? NO_DATE };
      days.set(stem, day);
    }
    if (gz) day.gz = info;
    else day.log = info;
  }
  return [...days.values()].sort(compareDays);
}

/** The `.log.gz` a day's `.log` becomes at rotation, if it exists now as a regular file. */
export async function findGz(dir: string, stem: string): Promise<string | undefined> {
  const path = join(dir, `${stem}.log.gz`);
  try {
    return (await lstat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The day's `.log.gz` and a signature of its identity and size, if it exists now as a regular file. */
export async function gzSignature(
  dir: string,
  stem: string,
): Promise<{ path: string; sig: string } | undefined> {
  const path = join(dir, `${stem}.log.gz`);
  try {
    const st = await lstat(path);
    return st.isFile() ? { path, sig: `${st.ino}:${st.size}:${st.mtimeMs}` } : undefined;
  } catch {
    return undefined;
  }
}
