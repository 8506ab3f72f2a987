// One SSE event of /api/events, checked against the contract (protocol/node-events.ts). A bad entry is counted
// and left out, never fatal: the rest of its batch is kept, and its id still moves the cursor past it.
import * as v from 'valibot';
import {
  BatchSchema,
  EntrySchema,
  SSE_EVENTS,
  StatusSchema,
  type Entry,
  type Status,
} from '../../../../../protocol/node-events.ts';
import type { SseEvent } from './sse.ts';

export type Decoded =
  /** Entries to store, with the cursor to store with them (the event's id, else the last valid entry's). */
  | { type: 'entries'; live: boolean; entries: Entry[]; invalid: number; cursor: string | undefined }
  | { type: 'status'; status: Status }
  /** A status that does not parse or does not fit the contract. */
  | { type: 'invalid' }
  /** An event this client does not know (a newer sidecar): ignored. */
  | { type: 'other' };

function json(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function entries(live: boolean, valid: Entry[], invalid: number, id: string | undefined): Decoded {
  return { type: 'entries', live, entries: valid, invalid, cursor: id ?? valid.at(-1)?.id };
}

export function decodeEvent(event: SseEvent): Decoded {
  switch (event.event) {
    case SSE_EVENTS.batch: {
      const value = json(event.data);
      // The whole batch in one go (the usual case), else entry by entry to keep the good ones.
      const batch = v.safeParse(BatchSchema, value);
      if (batch.success) return entries(false, batch.output.entries, 0, event.id);
      const list = (value as { entries?: unknown } | undefined)?.entries;
      if (!Array.isArray(list)) return entries(false, [], 1, event.id);
      const valid: Entry[] = [];
      for (const item of list) {
        const entry = v.safeParse(EntrySchema, item);
        if (entry.success) valid.push(entry.output);
      }
      return entries(false, valid, list.length - valid.length, event.id);
    }
    case SSE_EVENTS.entry: {
      const entry = v.safeParse(EntrySchema, json(event.data));
      return entry.success ? entries(true, [entry.output], 0, event.id) : entries(true, [], 1, event.id);
    }
    case SSE_EVENTS.status: {
      const status = v.safeParse(StatusSchema, json(event.data));
      return status.success ? { type: 'status', status: status.output } : { type: 'invalid' };
    }
    default:
      return { type: 'other' };
  }
}
