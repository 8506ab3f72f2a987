// One pass of the file source over a log directory: wait for log files, read the history (backfill), then follow
// the current `.log` through rotations and truncations. Pull-based: every read happens inside the generator, so a
// consumer that stops pulling stops the reading, and at most one chunk of lines waits beyond one batch.
// The session owns which files are read and which one is followed; what goes out (lines, progress, the last
// cursor) is its FileOutput's (output.ts), which the readers (read.ts) tell what they read.
import { type FileHandle, lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SourceState } from '../../../../protocol/node-events.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { windowHash } from './checkpoint-window.ts';
import { LineCursor, parseFileCursor, type FileCursor } from './cursor.ts';
import { FileOutput, type Events } from './output.ts';
import { CHUNK_BYTES, describeError, openLog, readGz, readLog, readToEnd, type Opened } from './read.ts';
import { compareDays, dayBefore, findGz, gzSignature, NO_DATE, scanLogDir, type LogDay } from './scan.ts';
import { Waker } from './wait.ts';
import type { SourceEvent } from '../source.ts';

interface Current {
  day: LogDay;
  path: string;
  cursor: LineCursor;
  fh?: FileHandle;
  ino?: number;
  /** The last error opening it, already reported. */
  openError?: string;
  /** The day's .log.gz as it was when we took the file (stat signature): a changed one is a rotated copy. */
  gzSeen?: string;
  /** Where the last checkpoint was saved in this file. */
  markedAt: number;
  /** The file's size when first read: checkpoints well before it are spread wider (what a resume needs least). */
  sizeAtStart?: number;
}

/** Checkpoints: where a resume may start (`store`), and whether this reader is offered new ones (`offer`). */
export interface SessionCheckpoints {
  store: CheckpointStore;
  offer: boolean;
}

/**
 * Bytes of the current file read between two checkpoints: a resume near the end reads at most about this much.
 * Further back than DENSE_BYTES from where the file ended when the source started on it, they are an eighth of
 * its size apart (most of them would be thinned out of the store anyway: checkpoint-store.ts).
 */
export const CHECKPOINT_BYTES = 1024 * 1024;
const DENSE_BYTES = 4 * CHECKPOINT_BYTES;

/** Where a resume starts instead of the correlation window: a checkpoint found valid, in the file opened. */
interface ResumePoint {
  offset: number;
  state: unknown;
  opened: Extract<Opened, { fh: FileHandle }>;
}

export class FileSession {
  private readonly out: FileOutput;
  private readonly resume: FileCursor | undefined;
  private readonly waker: Waker;
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Days read or being followed, by stem. */
  private readonly done = new Set<string>();
  /** The day read last (or followed now): later days in reading order are new. */
  private last: LogDay | undefined;
  private current: Current | undefined;
  /** When the switch to a new file was first seen; 0 when none is pending. */
  private switchSince = 0;
  private lastScan = 0;

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
    after: string | undefined,
    private readonly signal: AbortSignal,
    private readonly checkpoints?: SessionCheckpoints,
  ) {
    this.resume = parseFileCursor(after);
    this.out = new FileOutput(after);
    this.waker = new Waker(signal);
  }

  /** The cursor of the last line handed out: where to resume if this session has to be started again. */
  get lastCursor(): string | undefined {
    return this.out.lastCursor;
  }

  async *run(): Events {
    try {
      const days = yield* this.waitForFiles();
      if (!days) return;
      this.waker.watch(this.dir);
      yield* this.backfill(days);
      yield* this.follow();
    } finally {
      this.waker.close();
      await this.current?.fh?.close().catch(() => undefined);
      this.current = undefined;
    }
  }

  private async *waitForFiles(): Events<LogDay[] | undefined> {
    let reported: string | undefined;
    while (!this.signal.aborted) {
      let state: SourceState = 'waiting';
      let detail: string;
      try {
        const days = await scanLogDir(this.dir);
        if (days !== 'missing' && days.length > 0) return days;
        detail =
          days === 'missing'
            ? `The log directory ${this.dir} does not exist (yet): waiting for it`
            : `No *.log or *.log.gz file in ${this.dir} yet: waiting for one`;
      } catch (error) {
        state = 'error';
        detail = `Cannot list the log directory ${this.dir}: ${describeError(error)}`;
      }
      if (detail !== reported) {
        reported = detail;
        yield this.out.status(state, detail, state === 'error' ? { retryInMs: this.pollMs } : {});
      }
      await this.waker.wait(this.pollMs);
    }
    return undefined;
  }

  private async *backfill(days: LogDay[]): Events {
    const lastDay = days[days.length - 1]!;
    const point = await this.resumePoint(lastDay);
    if (point) {
      // The reader takes up the state saved at the checkpoint, and only the rest of the current file is read.
      this.done.add(lastDay.stem);
      this.last = lastDay;
      await this.takeCurrent(lastDay, this.resume!.gen, point); // holds the file open: run() closes it
      yield { type: 'restore', state: point.state };
      yield this.out.startBackfill(lastDay.log!.size - point.offset);
      yield* this.pollCurrent();
      this.out.fileDone();
      yield* this.endBackfill();
      return;
    }
    // Resuming: skip days more than one day before the cursor's (the correlation window), never the current one.
    const from = this.resume && this.resume.date !== NO_DATE ? dayBefore(this.resume.date) : undefined;
    const plan = days.filter((d) => d === lastDay || from === undefined || d.date >= from);
    // Sizes as they are on disk: a .log.gz counts with its compressed size, and progress counts compressed bytes.
    yield this.out.startBackfill(plan.reduce((sum, d) => sum + (d.log ?? d.gz)!.size, 0));
    for (const day of plan) {
      if (this.signal.aborted) return;
      this.done.add(day.stem);
      this.last = day;
      if (day === lastDay && day.log) yield* this.startCurrent(day, this.genFor(day));
      else yield* this.readFinished(day);
      this.out.fileDone();
    }
    yield* this.endBackfill();
  }

  private async *endBackfill(): Events {
    yield* this.out.endBackfill();
    if (this.current) yield* this.offerCheckpoint(this.current, true);
    yield this.liveStatus();
  }

  /**
   * The latest valid checkpoint at or before the resume cursor, when the cursor is in the current file: the same
   * file (inode), not cut shorter than the cursor, the same generation, the same text before the checkpoint.
   */
  private async resumePoint(lastDay: LogDay): Promise<ResumePoint | undefined> {
    const r = this.resume;
    const store = this.checkpoints?.store;
    if (!store || !r || r.date === NO_DATE || r.date !== lastDay.date || !lastDay.log) return undefined;
    if (lastDay.log.size < r.offset) return undefined; // truncated since: a new generation
    const opened = await openLog(lastDay.log.path);
    if (!('fh' in opened)) return undefined;
    try {
      for (const cp of store.before(r.date, r.gen, r.offset)) {
        if (this.signal.aborted) break;
        if (cp.ino !== opened.ino) continue;
        if ((await windowHash(opened.fh, cp.offset)) === cp.window)
          return { offset: cp.offset, state: cp.state, opened };
      }
    } catch {
      // Unreadable now: read the window again as without a checkpoint.
    }
    await opened.fh.close().catch(() => undefined);
    return undefined;
  }

  /**
   * Offers a checkpoint at the next line of the current file to a reader that asked, every CHECKPOINT_BYTES and
   * when going live (`now`). Every line before it is handed out first.
   */
  private async *offerCheckpoint(cur: Current, now = false): Events {
    const store = this.checkpoints?.offer ? this.checkpoints.store : undefined;
    if (!store || !cur.fh || cur.day.date === NO_DATE) return;
    const position = cur.cursor.position;
    const size = cur.sizeAtStart ?? 0;
    const every = position < size - DENSE_BYTES ? Math.max(CHECKPOINT_BYTES, size / 8) : CHECKPOINT_BYTES;
    if (position - cur.markedAt < (now ? 1 : every)) return;
    yield* this.out.flushAll();
    const offset = cur.cursor.position - cur.cursor.pendingBytes;
    const window = await windowHash(cur.fh, offset).catch(() => undefined);
    if (window === undefined) return;
    const place = { date: cur.day.date, gen: cur.cursor.gen, offset, ino: cur.ino!, window };
    if (store.has(place)) {
      cur.markedAt = position;
      return;
    }
    // The reader may decline (its state is not one to keep here): then it is offered again after the next chunk.
    yield {
      type: 'checkpoint',
      save: (state: unknown) => {
        store.save(place, state);
        cur.markedAt = position;
      },
    };
  }

  private async *follow(): Events {
    while (!this.signal.aborted) {
      const grew = this.current ? yield* this.pollCurrent() : false;
      yield* this.out.flushAll();
      const now = Date.now();
      if (now - this.lastScan >= this.pollMs) {
        this.lastScan = now;
        if (yield* this.checkFiles(grew)) continue;
      }
      await this.waker.wait(this.pollMs);
    }
  }

  /** The generation to start a day at: a resume cursor of that day carries the truncations seen before. */
  private genFor(day: LogDay): number {
    const r = this.resume;
    if (!r || r.date === NO_DATE || r.date !== day.date) return 0;
    return day.log && day.log.size < r.offset ? r.gen + 1 : r.gen;
  }

  /** Looks for a new day's file (rotation) or a new file under the current name; switches when it is time. */
  private async *checkFiles(grew: boolean): Events<boolean> {
    let days: LogDay[] | 'missing';
    try {
      days = await scanLogDir(this.dir);
    } catch {
      return false;
    }
    if (days === 'missing') return false;
    const cur = this.current;
    const fresh: LogDay[] = [];
    for (const day of days) {
      if (this.done.has(day.stem) || (this.last && compareDays(day, this.last) <= 0)) continue;
      if (cur?.ino !== undefined && day.log?.ino === cur.ino)
        this.done.add(day.stem); // ours, renamed
      else fresh.push(day);
    }
    const replaced = fresh.length === 0 && (await this.currentReplaced());
    if (fresh.length === 0 && !replaced) {
      this.switchSince = 0;
      return false;
    }
    if (cur?.fh) {
      // Let the old file settle: the runner may flush its last writes to it just after it opens the new one.
      const now = Date.now();
      if (grew || this.switchSince === 0) this.switchSince = now;
      if (now - this.switchSince < 2 * this.pollMs) return false;
    }
    this.switchSince = 0;
    yield* this.finishCurrent();
    if (replaced && cur) {
      // The same name now holds another file: the same day, so the next generation keeps cursors increasing.
      yield* this.startCurrent(cur.day, cur.cursor.gen + 1);
    } else {
      const newest = fresh[fresh.length - 1];
      for (const day of fresh) {
        this.done.add(day.stem);
        this.last = day;
        if (day === newest && day.log) yield* this.startCurrent(day, 0);
        else yield* this.readFinished(day);
      }
    }
    yield* this.out.flushAll();
    yield this.liveStatus();
    return true;
  }

  private async currentReplaced(): Promise<boolean> {
    const cur = this.current;
    if (cur?.ino === undefined) return false;
    try {
      return (await lstat(cur.path)).ino !== cur.ino;
    } catch {
      return false; // renamed or removed: what we hold open is still readable
    }
  }

  private async *startCurrent(day: LogDay, gen: number): Events {
    await this.takeCurrent(day, gen);
    yield* this.pollCurrent();
  }

  /** Makes `day`'s .log the file followed, from its start or from a resume point (with the file opened then). */
  private async takeCurrent(day: LogDay, gen: number, from?: ResumePoint): Promise<void> {
    const gzSeen = (await gzSignature(this.dir, day.stem))?.sig;
    const offset = from?.offset ?? 0;
    this.current = {
      day,
      path: day.log!.path,
      cursor: new LineCursor(day.date, gen, offset),
      gzSeen,
      markedAt: offset,
    };
    if (from) Object.assign(this.current, { fh: from.opened.fh, ino: from.opened.ino });
  }

  /** The current day's .log.gz when it appeared or changed since we took the file: a copy made at rotation. */
  private async rotatedGz(cur: Current): Promise<string | undefined> {
    const gz = await gzSignature(this.dir, cur.day.stem);
    if (!gz || gz.sig === cur.gzSeen) return undefined;
    cur.gzSeen = gz.sig;
    return gz.path;
  }

  /** Reads what was appended to the current file; returns whether anything was. Partial last lines wait. */
  private async *pollCurrent(): Events<boolean> {
    const cur = this.current!;
    if (!cur.fh) {
      const opened = await openLog(cur.path);
      if ('missing' in opened) {
        // Rotated away before we opened it: read its .log.gz as a finished file, then wait for the next one.
        const gz = await findGz(this.dir, cur.day.stem);
        if (!gz) return false;
        this.current = undefined;
        yield* readGz(this.out, gz, cur.cursor, 0, this.signal);
        return true;
      }
      if ('error' in opened) {
        if (opened.error !== cur.openError) {
          cur.openError = opened.error;
          yield this.openErrorStatus(cur);
        }
        return false;
      }
      cur.fh = opened.fh;
      cur.ino = opened.ino;
      const failedBefore = cur.openError !== undefined;
      cur.openError = undefined;
      if (failedBefore && this.out.live) yield this.liveStatus();
    }
    const size = (await cur.fh.stat()).size;
    cur.sizeAtStart ??= size;
    if (size < cur.cursor.position) {
      // Truncated in place (copytruncate). If the day's .log.gz just appeared, it is the copy: read the rest of
      // the old text from it; otherwise what was held before is all there will be of that line.
      const gz = await this.rotatedGz(cur);
      if (gz) yield* readGz(this.out, gz, cur.cursor, cur.cursor.position, this.signal);
      else this.out.endFile(cur.cursor);
      cur.cursor.restart(cur.cursor.gen + 1);
      cur.markedAt = 0;
      cur.sizeAtStart = undefined;
      const detail = `${basename(cur.path)} was truncated: reading it again from its start`;
      yield this.out.status(this.out.live ? 'live' : 'backfill', detail);
    }
    const before = cur.cursor.position;
    for await (const event of readLog(this.out, cur.fh, cur.cursor, this.buf, this.signal)) {
      yield event;
      yield* this.offerCheckpoint(cur);
    }
    return cur.cursor.position !== before;
  }

  private async *finishCurrent(): Events {
    const cur = this.current;
    this.current = undefined;
    if (!cur?.fh) return;
    try {
      yield* readToEnd(this.out, cur.fh, cur.cursor, this.buf, this.signal, () => this.rotatedGz(cur));
    } finally {
      await cur.fh.close().catch(() => undefined);
    }
  }

  /** Reads a day that is no longer written: its .log if it can, else its .log.gz. */
  private async *readFinished(day: LogDay): Events {
    const cursor = new LineCursor(day.date, this.genFor(day));
    let failure: string | undefined;
    if (day.log) {
      const opened = await openLog(day.log.path);
      if ('fh' in opened) {
        try {
          yield* readToEnd(this.out, opened.fh, cursor, this.buf, this.signal, () =>
            findGz(this.dir, day.stem),
          );
        } finally {
          await opened.fh.close().catch(() => undefined);
        }
        return;
      }
      if ('error' in opened) failure = `Cannot read ${day.log.name}: ${opened.error}`;
    }
    const gz = day.gz?.path ?? (await findGz(this.dir, day.stem));
    if (gz) yield* readGz(this.out, gz, cursor, 0, this.signal);
    else if (failure) yield this.out.status('error', `${failure}; skipped it`);
  }

  private openErrorStatus(cur: Current): SourceEvent {
    const detail = `Cannot read ${basename(cur.path)}: ${cur.openError}; trying again`;
    return this.out.status('error', detail, { retryInMs: this.pollMs });
  }

  private liveStatus(): SourceEvent {
    const cur = this.current;
    // Not live while the file to follow cannot be opened (a FIFO in its place, no permission).
    if (cur?.openError !== undefined) return this.openErrorStatus(cur);
    const detail = !cur
      ? `Waiting for the next log file in ${this.dir}`
      : cur.fh
        ? `Following ${basename(cur.path)}`
        : `Waiting to read ${basename(cur.path)}`;
    return this.out.status('live', detail);
  }
}
