// Reading one log file of the file source into lines: a `.log` through an open handle (it stays readable when the
// runner renames or removes it), a `.log.gz` as a gunzip stream (never whole in memory), from any offset. What is
// read goes to the source's output (output.ts), which hands it out.
// Only regular files in the log directory are read: whoever can write there could otherwise point the sidecar
// at a file outside it (a symbolic link to /proc/self/environ streams the sidecar's own secrets) or hang it (a
// FIFO blocks open() until a writer comes, and a blocked open holds a libuv thread that even process.exit waits
// for). So a file is opened without following a link and without blocking, and what was opened is checked on
// the descriptor: a file swapped in between a check of the path and the open cannot get through.
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LineCursor } from './cursor.ts';
import type { Events, FileOutput } from './output.ts';

export const CHUNK_BYTES = 64 * 1024;

/** O_NONBLOCK changes nothing for a regular file; for a FIFO, open() returns at once instead of waiting. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'ENOENT') return 'it disappeared';
  // O_NOFOLLOW on a link (swapped in after the check of the path), open() of a socket.
  if (e?.code === 'ELOOP') return notRegular('a symbolic link');
  if (e?.code === 'ENXIO') return notRegular('a socket or a device');
  return e?.message ?? String(error);
}

/** What a file that is not a regular file is, for a status. */
function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(kind: string): string {
  return `it is ${kind}, not a regular file`;
}

export type Opened = { fh: FileHandle; ino: number } | { missing: true } | { error: string };

/**
 * Opens a log file for reading when it is a regular file. Anything else is refused with an error saying what it
 * is: a FIFO, device or socket is not even opened (the path is looked at first: opening some devices does
 * something), and the descriptor's own check catches what was swapped in since.
 */
export async function openLog(path: string): Promise<Opened> {
  try {
    const st = await lstat(path);
    if (!st.isFile()) return { error: notRegular(kindOf(st)) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { error: describeError(error) };
  }
  return openRegular(path);
}

/** Opens `path` without following a link and without blocking, and keeps it only if it is a regular file. */
export async function openRegular(path: string): Promise<Opened> {
  try {
    const fh = await open(path, OPEN_FLAGS);
    try {
      const st = await fh.stat();
      if (st.isFile()) return { fh, ino: st.ino };
      await fh.close();
      return { error: notRegular(kindOf(st)) };
    } catch (error) {
      await fh.close().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { error: describeError(error) };
  }
}

/** Reads a .log from the cursor's position up to its end as it is now. A line not ended yet waits in the cursor. */
export async function* readLog(
  out: FileOutput,
  fh: FileHandle,
  cursor: LineCursor,
  buf: Buffer,
  signal: AbortSignal,
): Events {
  while (!signal.aborted) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, cursor.position);
    if (bytesRead === 0) return;
    out.feed(cursor, buf.subarray(0, bytesRead));
    out.readBytes(bytesRead);
    yield* out.chunkDone();
  }
}

/**
 * Streams a .log.gz from `skip` bytes into its uncompressed text (the cursor's position), and ends its last line.
 * A corrupt or truncated file yields an error status and keeps the whole lines before the damage; one that is not
 * a regular file (or cannot be opened) yields an error status and is skipped.
 */
export async function* readGz(
  out: FileOutput,
  path: string,
  cursor: LineCursor,
  skip: number,
  signal: AbortSignal,
): Events {
  const name = basename(path);
  const opened = await openLog(path);
  if (!('fh' in opened)) {
    const why = 'error' in opened ? opened.error : 'it disappeared';
    yield out.status('error', `Cannot read ${name}: ${why}; skipped it`);
    return;
  }
  const file = opened.fh.createReadStream({ highWaterMark: CHUNK_BYTES });
  const gunzip = pipeline(file, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined);
  let toSkip = skip;
  let lines = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      out.readUpTo(file.bytesRead);
      let data = chunk;
      if (toSkip > 0) {
        const skipped = Math.min(toSkip, data.length);
        data = data.subarray(skipped);
        toSkip -= skipped;
        if (data.length === 0) continue;
      }
      lines += out.feed(cursor, data);
      yield* out.chunkDone();
      if (signal.aborted) return;
    }
    out.endFile(cursor);
  } catch (error) {
    if (signal.aborted) return;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const detail = code.startsWith('Z_')
      ? `${name} is corrupt or truncated (${(error as Error).message}): kept the ${lines} whole lines before the damage, skipped the rest`
      : lines > 0
        ? `Cannot read ${name}: ${describeError(error)}; kept the ${lines} lines read before, skipped the rest`
        : `Cannot read ${name}: ${describeError(error)}; skipped it`;
    cursor.restart(cursor.gen, cursor.position); // a line cut by the damage is dropped
    yield out.status('error', detail);
  } finally {
    gunzip.destroy();
    file.destroy();
  }
}

/** Reads a .log to its end, then its last line even without a line end. */
export async function* readToEnd(
  out: FileOutput,
  fh: FileHandle,
  cursor: LineCursor,
  buf: Buffer,
  signal: AbortSignal,
  gzOf: () => Promise<string | undefined>,
): Events {
  yield* readLog(out, fh, cursor, buf, signal);
  if ((await fh.stat()).size < cursor.position) {
    // Truncated in place before we read it all (copytruncate): the rest is in the day's .log.gz, if any.
    const gz = await gzOf();
    if (gz) return yield* readGz(out, gz, cursor, cursor.position, signal);
  }
  out.endFile(cursor);
}
