// What tells that a file still holds the text a checkpoint was taken after: a hash of its first bytes and of the
// bytes just before the checkpoint's offset. A file replaced, rewritten or cut shorter gives another hash (or
// none), and it costs two small reads whatever the file's size.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const WINDOW_BYTES = 4096;

/** The hash of the file's bytes [0, W) and [offset − W, offset), or undefined when it has fewer than `offset`. */
export async function windowHash(fh: FileHandle, offset: number): Promise<string | undefined> {
  const head = await readAt(fh, 0, Math.min(WINDOW_BYTES, offset));
  const from = Math.max(0, offset - WINDOW_BYTES);
  const tail = await readAt(fh, from, offset - from);
  if (!head || !tail) return undefined;
  return createHash('sha256').update(`${offset}:`).update(head).update(tail).digest('hex');
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) return undefined;
    got += bytesRead;
  }
  return buf;
}
