// The stats snapshot (StatsMessageSchema), computed from the mirrors of the rollups and nodes buckets.
// Every instance computes the same numbers from the same shared state.
import { MIN_CELL_NODES, OTHER, WINDOW_MS, type Hour, type StatsMessage } from '../../protocol/federation.ts';
import { PROTOCOL_VERSION } from '../../protocol/subjects.ts';
import type { Held } from './mirror.ts';
import { dayOfKey, type NodeRecord } from './nodes.ts';
import { addCounts, emptyRollup, windowOfKey, type Counts, type Rollup } from './rollup.ts';

export const ACTIVE_MS = 180_000;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** The most labels a stats map of chains or versions carries, `other` included. */
const MAX_LABELS = 32;

/** What the stats need of a rollup: its counts (no feed, no applied sequences, no chain sketch). */
export type WindowCounts = Omit<Rollup, 'feed' | 'applied' | 'sketch'>;

type Entries<T> = Iterable<[string, Held<T>]>;

/** Merges cells under `min` into `other`, then the smallest cells into `other` beyond `maxLabels`. */
export function mergeCells(counts: Counts, min: number, maxLabels = MAX_LABELS): Counts {
  const out: Counts = {};
  let other = counts[OTHER] ?? 0;
  const cells = Object.entries(counts)
    .filter(([label]) => label !== OTHER)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [label, n] of cells) {
    if (n >= min && Object.keys(out).length < maxLabels - 1) out[label] = n;
    else other += n;
  }
  if (other > 0) out[OTHER] = other;
  return out;
}

const hourStart = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Tasks and distinct nodes per hour, from `from` to `to` (hour starts, inclusive). */
export function hourlySeries(
  rollups: Entries<WindowCounts>,
  nodes: Entries<NodeRecord>,
  from: number,
  to: number,
): Hour[] {
  const hours = new Map<number, Hour>();
  for (let t = from; t <= to; t += HOUR_MS) hours.set(t, { hour: iso(t), completed: 0, failed: 0, nodes: 0 });
  for (const [key, { value }] of rollups) {
    const hour = hours.get(hourStart(windowOfKey(key)));
    if (!hour) continue;
    hour.completed += value.outcomes.completed ?? 0;
    hour.failed += value.outcomes.failed ?? 0;
  }
  for (const [key, { value }] of nodes) {
    const day = dayOfKey(key);
    if (day + DAY_MS <= from || day > to) continue;
    for (let h = 0; h < 24; h++) {
      const hour = value.h & (1 << h) ? hours.get(day + h * HOUR_MS) : undefined;
      if (hour) hour.nodes++;
    }
  }
  return [...hours.values()];
}

export function computeStats(
  rollups: Entries<WindowCounts>,
  nodes: Entries<NodeRecord>,
  now: number,
): StatsMessage {
  const current = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const tasks = { lastHour: 0, last24h: 0, last7d: 0 };
  const { feed: _feed, applied: _applied, sketch: _sketch, ...day } = emptyRollup();
  const rollupList = [...rollups];
  for (const [key, { value }] of rollupList) {
    const age = current - windowOfKey(key);
    if (age >= 7 * DAY_MS) continue;
    tasks.last7d += value.tasks;
    if (age >= DAY_MS) continue;
    tasks.last24h += value.tasks;
    if (age < HOUR_MS) tasks.lastHour += value.tasks;
    for (const field of ['outcomes', 'kinds', 'chains', 'duration', 'steps', 'memory'] as const)
      addCounts(day[field], value[field]);
  }

  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const active = new Map<string, NodeRecord>();
  let nodesToday = 0;
  const nodeList = [...nodes];
  for (const [key, { value }] of nodeList) {
    if (dayOfKey(key) === today && value.h !== 0) nodesToday++;
    const pseudonym = key.slice(key.lastIndexOf('.') + 1);
    if (value.l !== undefined && value.l >= now - ACTIVE_MS && value.l > (active.get(pseudonym)?.l ?? -1))
      active.set(pseudonym, value);
  }
  const regions: Counts = {};
  const versions: Counts = {};
  for (const node of active.values()) {
    regions[node.r ?? 'unknown'] = (regions[node.r ?? 'unknown'] ?? 0) + 1;
    versions[node.v] = (versions[node.v] ?? 0) + 1;
  }
  const lastHour = hourStart(now);
  return {
    v: PROTOCOL_VERSION,
    at: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    activeNodes: active.size,
    nodesToday,
    tasks,
    outcomes: day.outcomes,
    kinds: day.kinds,
    chains: mergeCells(day.chains, 1),
    duration: day.duration,
    steps: day.steps,
    memory: day.memory,
    regions: mergeCells(regions, MIN_CELL_NODES),
    versions: mergeCells(versions, MIN_CELL_NODES),
    hourly: hourlySeries(rollupList, nodeList, lastHour - 7 * DAY_MS, lastHour),
  } as StatsMessage;
}
