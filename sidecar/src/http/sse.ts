// Server-Sent Events framing (the wire format of GET /api/events) and the stream of one client.
import type { Entry, Status } from '../../../protocol/node-events.ts';
import { SSE_EVENTS } from '../../../protocol/node-events.ts';
import { pipeline } from '../pipeline.ts';
import type { LogSource } from '../sources/source.ts';
import type { PipelineEvent } from '../pipeline.ts';
import type { BackfillQueue } from './backfills.ts';

/** Entries per `batch` event at most (the contract's BatchSchema allows 1000). */
export const MAX_BATCH_ENTRIES = 500;
export const KEEPALIVE_MS = 15_000;
/** What the client waits before reconnecting, when it honours `retry`. */
export const RETRY_MS = 2_000;

/** One SSE event. `data` is JSON on one line, so no line of it can start a field of its own. */
export function formatEvent(event: string, data: unknown, id?: string): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

export function entryEvent(entry: Entry): string {
  return formatEvent(SSE_EVENTS.entry, entry, entry.id);
}

export function statusEvent(status: Status): string {
  return formatEvent(SSE_EVENTS.status, status);
}

/** Backfill entries as `batch` events, each with the id of its last entry. */
export function batchEvents(entries: Entry[]): string {
  let out = '';
  for (let i = 0; i < entries.length; i += MAX_BATCH_ENTRIES) {
    const batch = entries.slice(i, i + MAX_BATCH_ENTRIES);
    out += formatEvent(SSE_EVENTS.batch, { entries: batch }, batch.at(-1)!.id);
  }
  return out;
}

export interface EventWriter {
  /** Resolves when the text has been taken by the connection: awaiting it is the backpressure. */
  write(text: string): Promise<unknown>;
}

/** The history is read: a status past reading it, or entries that are live. */
function pastBackfill(event: PipelineEvent): boolean {
  if (event.type === 'status')
    return event.status.state !== 'connecting' && event.status.state !== 'backfill';
  return event.live;
}

/** Streams one client's events until the signal aborts or the source ends. */
export async function streamEvents(
  writer: EventWriter,
  options: {
    source: LogSource;
    signal: AbortSignal;
    after?: string;
    quietMs?: number;
    /** Where the stream waits for its turns to read history. */
    backfills?: BackfillQueue;
  },
): Promise<void> {
  await writer.write(`: truwatch events\nretry: ${RETRY_MS}\n\n`);
  const keepalive = setInterval(() => void writer.write(': keep-alive\n\n'), KEEPALIVE_MS);
  const backfill = options.backfills && (await options.backfills.begin(options.signal));
  try {
    if (options.backfills && !backfill) return;
    for await (const event of pipeline(options)) {
      if (pastBackfill(event)) backfill?.end();
      else if (backfill && !(await backfill.next())) return;
      const text =
        event.type === 'status'
          ? statusEvent(event.status)
          : event.live
            ? event.entries.map(entryEvent).join('')
            : batchEvents(event.entries);
      await (backfill ? backfill.waitFor(writer.write(text)) : writer.write(text));
    }
  } finally {
    backfill?.end();
    clearInterval(keepalive);
  }
}
