// The UTC hours in which the node was up, from what the monitor's database holds: an hour counts when the
// runner wrote an entry to its log in it, or when its container was running through it (the Docker source's
// status: running since `startedAt`, up to the last entry). Federation's activity reports say these hours, so the network
// counts a node for the hours it worked whether or not a tab of the app was open then.
import { timeKeys } from './blocks.ts';
import { between, getMany, storeOf } from './idb.ts';
import type { TruwatchDb } from './schema.ts';

export const HOUR_MS = 3_600_000;

const hourStart = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** The starts of the hours in [fromMs, toMs) (both whole hours) in which the node was up, ascending. */
export async function upHours(db: TruwatchDb, fromMs: number, toMs: number): Promise<number[]> {
  const up = new Set<number>();
  const mark = (ms: number) => {
    if (ms >= fromMs && ms < toMs) up.add(hourStart(ms));
  };
  // A block's first and last entry times are in hours with an entry; only the hours strictly between them
  // need its entries read (a block of 100 entries rarely spans more than an hour).
  const keys = await timeKeys(db, between([fromMs], [Infinity]));
  const spanning: string[] = [];
  for (const [blockTo, blockFrom, first] of keys) {
    if (blockFrom >= toMs) continue;
    mark(blockFrom);
    mark(blockTo);
    if (hourStart(blockTo) - hourStart(blockFrom) > HOUR_MS) spanning.push(first);
  }
  for (let i = 0; i < spanning.length; i += 100) {
    const blocks = await getMany(storeOf(db, 'blocks'), spanning.slice(i, i + 100));
    for (const block of blocks) for (const entry of block?.entries ?? []) mark(entry.tsMs);
  }
  // Running since `startedAt`, as far as the history goes: the latest status may be old (the sidecar out of
  // reach), so hours after the last entry count only once a later entry shows the node was still there.
  const node = await db.get('node', 'node');
  const container = node?.status?.container;
  const startedMs = Date.parse(container?.startedAt ?? '');
  if (container?.state === 'running' && Number.isFinite(startedMs) && node?.lastEntryMs !== undefined)
    for (let hour = hourStart(Math.max(startedMs, fromMs)); hour <= node.lastEntryMs; hour += HOUR_MS)
      mark(hour);
  return [...up].sort((a, b) => a - b);
}
