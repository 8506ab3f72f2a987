// Reads a source through the sidecar's pipeline until it has caught up, as a client of /api/events would: until it
// is live, or has read a stopped container's log to its end. What it gives: the entries (the last version of each
// id), whether the source started from a checkpoint, and the lines it read.
import type { Entry, Status } from '../../protocol/node-events.ts';
import { pipeline } from '../../sidecar/src/pipeline.ts';
import type { LogSource } from '../../sidecar/src/sources/source.ts';

export interface PipelineRead {
  entries: Entry[];
  /** Whether the source started from a checkpoint (a `restore` event). */
  restored: boolean;
  /** The cursors of the lines the source read, in order. */
  cursors: string[];
}

export async function readUntilCaughtUp(
  source: LogSource,
  options: { after?: string; checkpoints?: boolean },
): Promise<PipelineRead> {
  const controller = new AbortController();
  const read: PipelineRead = { entries: [], restored: false, cursors: [] };
  const spy: LogSource = {
    kind: source.kind,
    description: source.description,
    async *read(o) {
      for await (const event of source.read(o)) {
        if (event.type === 'restore') read.restored = true;
        if (event.type === 'lines') for (const line of event.lines) read.cursors.push(line.cursor);
        yield event;
      }
    },
  };
  const byId = new Map<string, Entry>();
  for await (const event of pipeline({ source: spy, signal: controller.signal, ...options })) {
    if (event.type === 'entries') for (const e of event.entries) byId.set(e.id, e);
    else if (caughtUp(event.status)) controller.abort();
  }
  read.entries = [...byId.values()];
  return read;
}

const caughtUp = (status: Status) =>
  status.state === 'live' || (status.state === 'waiting' && status.container?.state === 'exited');

/** The entries at or after `cursor`. */
export const entriesFrom = (entries: Entry[], cursor: string) => entries.filter((e) => e.id >= cursor);
