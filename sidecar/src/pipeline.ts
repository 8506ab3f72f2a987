// A source's lines through the parser: entries out, in order, resumable after a cursor. Entries are held back
// only while they may still get continuation lines, and never longer than the quiet time when following live.
import type { Entry, Status } from '../../protocol/node-events.ts';
import type { IoStore } from './parse/io-store.ts';
import { fitStatus } from './parse/fit.ts';
import { EntryParser, type ParserState } from './parse/parser.ts';
import type { LogSource, ReadEvent } from './sources/source.ts';

/**
 * How long an entry may wait for continuation lines while the source is quiet. The runner writes an entry's
 * lines together; a line that comes later re-sends the entry with the same id. Part of the live latency.
 */
export const QUIET_MS = 100;

export type PipelineEvent =
  { type: 'entries'; entries: Entry[]; live: boolean } | { type: 'status'; status: Status };

export interface PipelineOptions {
  source: LogSource;
  signal: AbortSignal;
  /** Deliver only entries after this cursor. */
  after?: string;
  quietMs?: number;
  io?: IoStore;
  parser?: EntryParser;
  /** Save the parser's state where the source offers checkpoints (only a reader that reads everything). */
  checkpoints?: boolean;
}

const QUIET = Symbol('quiet');

/** True when `cursor` belongs to the same kind of source as `other` (comparable as strings). */
function comparable(cursor: string, other: string): boolean {
  return cursor.slice(0, 2) === other.slice(0, 2);
}

export async function* pipeline(options: PipelineOptions): AsyncGenerator<PipelineEvent> {
  const { source, signal, quietMs = QUIET_MS } = options;
  const parser = options.parser ?? new EntryParser(options.io);
  // Entries before the resume cursor were delivered before. The entry at the cursor is delivered again: it may
  // have been sent before its last continuation lines arrived (delivery is at-least-once; clients store by id).
  // Entries before the last one this pipeline delivered were delivered already (a source that reads over
  // again after an error); the last one itself comes again only when it got more continuation lines.
  const after = options.after;
  let last: Entry | undefined;
  const isNew = (e: Entry): boolean => {
    if (after !== undefined && comparable(e.id, after) && e.id < after) return false;
    if (last === undefined || !comparable(e.id, last.id) || e.id > last.id) return true;
    return e.id === last.id && (e.text?.length ?? 0) > (last.text?.length ?? 0);
  };
  const keep = (entries: Entry[]): Entry[] => {
    const kept = entries.filter(isNew);
    if (kept.length) last = kept.at(-1);
    return kept;
  };
  const read = {
    signal,
    ...(after !== undefined && { after }),
    ...(options.checkpoints && { checkpoints: true }),
  };
  const iterator = source.read(read)[Symbol.asyncIterator]();
  let live = false;
  let lastLine: string | undefined;
  let next: Promise<IteratorResult<ReadEvent>> | undefined;
  try {
    while (!signal.aborted) {
      next ??= iterator.next();
      // An entry may still get continuation lines: when following live, wait for them only while the source keeps
      // talking. While reading history, the next line comes when the machine gets to it: never flush early (an
      // entry flushed and then continued is sent twice, and correlated twice).
      const result: IteratorResult<ReadEvent> | typeof QUIET =
        live && parser.hasOpenEntry ? await raceQuiet(next, quietMs) : await next;
      if (result === QUIET) {
        const flushed = keep(parser.flush());
        if (flushed.length) yield { type: 'entries', entries: flushed, live };
        continue;
      }
      next = undefined;
      if (result.done) break;
      const event: ReadEvent = result.value;
      if (event.type === 'status') {
        if (event.status.state === 'live') live = true;
        yield { type: 'status', status: fitStatus(event.status) };
        continue;
      }
      if (event.type === 'checkpoint') {
        const state = parser.snapshot();
        if (state) event.save(state);
        continue;
      }
      if (event.type === 'restore') {
        // The source starts at a checkpoint: what follows continues from there, not a reading over again.
        parser.restore(event.state as ParserState);
        lastLine = undefined;
        continue;
      }
      // A source that went back (it reads over again after an error) re-reads history: the parser's state is
      // rebuilt from it, and what was delivered already is dropped by keep().
      const first = event.lines[0]?.cursor;
      if (first !== undefined && lastLine !== undefined && comparable(first, lastLine) && first < lastLine)
        parser.reset(last?.id);
      lastLine = event.lines.at(-1)?.cursor ?? lastLine;
      live = event.live;
      const entries = keep(parser.push(event.lines));
      if (entries.length) yield { type: 'entries', entries, live };
    }
    if (!signal.aborted) {
      const rest = keep(parser.flush());
      if (rest.length) yield { type: 'entries', entries: rest, live };
    }
  } finally {
    await iterator.return?.();
  }
}

async function raceQuiet<T>(promise: Promise<T>, ms: number): Promise<T | typeof QUIET> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<typeof QUIET>((resolve) => {
    timer = setTimeout(() => resolve(QUIET), ms);
  });
  try {
    return await Promise.race([promise, quiet]);
  } finally {
    clearTimeout(timer);
  }
}
