// What the network page draws, derived from a stats snapshot and the feed: rows for bar lists and the
// map, the hourly series for the charts, the success rate, staleness.
import { DURATION, MEMORY, STEPS } from '../../../../protocol/buckets.ts';
import {
  OTHER,
  REGIONS,
  WINDOW_MS,
  type FeedMessage,
  type FeedTask,
  type Hour,
  type StatsMessage,
} from '../../../../protocol/federation.ts';
import { formatClock, formatTime, formatZone, type TimeOptions } from '../app/format.ts';

/** The aggregator publishes every 10 s: numbers older than this are called stale. */
export const STALE_AFTER_MS = 60_000;
/** Feed rows shown. */
export const FEED_ROWS = 50;

export interface Row {
  key: string;
  label: string;
  count: number;
  /** count / total of the rows, 0 when the total is 0. */
  share: number;
}

const withShares = (rows: Omit<Row, 'share'>[]): Row[] => {
  const total = rows.reduce((sum, row) => sum + row.count, 0);
  return rows.map((row) => ({ ...row, share: total > 0 ? row.count / total : 0 }));
};

/** A histogram in its ladder's order (every label, zeros included). */
export function ladderRows(counts: Partial<Record<string, number>>, labels: readonly string[]): Row[] {
  return withShares(labels.map((label) => ({ key: label, label, count: counts[label] ?? 0 })));
}

export const histograms = (stats: StatsMessage) => ({
  duration: ladderRows(stats.duration, DURATION.labels),
  steps: ladderRows(stats.steps, STEPS.labels),
  memory: ladderRows(stats.memory, MEMORY.labels),
});

/** Largest first, `other` and `unknown` last; `name` turns a key into what the page shows. */
export function rankedRows(
  counts: Partial<Record<string, number>>,
  name: (key: string) => string = (k) => k,
): Row[] {
  const last = (key: string) => (key === OTHER ? 1 : key === 'unknown' ? 2 : 0);
  const rows = Object.entries(counts)
    .filter((entry): entry is [string, number] => entry[1] !== undefined && entry[1] > 0)
    .map(([key, count]) => ({ key, label: name(key), count }))
    .sort((a, b) => last(a.key) - last(b.key) || b.count - a.count || a.key.localeCompare(b.key));
  return withShares(rows);
}

export const REGION_NAMES: Record<string, string> = {
  AF: 'Africa',
  AN: 'Antarctica',
  AS: 'Asia',
  EU: 'Europe',
  NA: 'North America',
  OC: 'Oceania',
  SA: 'South America',
  [OTHER]: 'Other regions (fewer than 3 nodes each)',
  unknown: 'Region not shared',
};

/** Monitors online per continent (all seven, zeros included) and the rest (`other`, `unknown`). */
export function regionRows(stats: StatsMessage): { continents: Row[]; rest: Row[] } {
  const all = ladderRows(stats.regions, [...REGIONS, OTHER, 'unknown']).map((row) => ({
    ...row,
    label: REGION_NAMES[row.key] ?? row.key,
  }));
  return { continents: all.slice(0, REGIONS.length), rest: all.slice(REGIONS.length) };
}

const CHAIN_NAMES: Record<string, string> = {
  '1': 'Ethereum',
  '10': 'Optimism',
  '56': 'BNB Chain',
  '137': 'Polygon',
  '8453': 'Base',
  '42161': 'Arbitrum One',
  '43114': 'Avalanche C',
  '11155111': 'Sepolia',
};

/** "Polygon (137)", "chain 5000", "Other chains". */
export function chainName(chain: string): string {
  if (chain === OTHER) return 'Other chains';
  const name = CHAIN_NAMES[chain];
  return name ? `${name} (${chain})` : `chain ${chain}`;
}

/** Completed / finished in the last 24 hours, or null when nothing finished. */
export function successRate(stats: StatsMessage): number | null {
  const completed = stats.outcomes.completed ?? 0;
  const finished = completed + (stats.outcomes.failed ?? 0);
  return finished > 0 ? completed / finished : null;
}

export interface HourlySeries {
  /** Hour starts, in seconds (uPlot's time scale). */
  x: number[];
  completed: number[];
  failed: number[];
  finished: number[];
  nodes: number[];
}

export function hourlySeries(hourly: readonly Hour[]): HourlySeries {
  const series: HourlySeries = { x: [], completed: [], failed: [], finished: [], nodes: [] };
  for (const hour of hourly) {
    series.x.push(Date.parse(hour.hour) / 1000);
    series.completed.push(hour.completed);
    series.failed.push(hour.failed);
    series.finished.push(hour.completed + hour.failed);
    series.nodes.push(hour.nodes);
  }
  return series;
}

/** A one-sentence summary of a series for screen readers: its total and its busiest hour. */
export function describeSeries(
  what: string,
  x: readonly number[],
  values: readonly number[],
  total = true,
  options?: TimeOptions,
): string {
  if (values.length === 0) return `${what}: no data yet.`;
  let peak = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[peak] ?? 0)) peak = i;
  const hour = formatTime((x[peak] ?? 0) * 1000, options);
  const sum = values.reduce((a, b) => a + b, 0);
  return `${what}: ${total ? `${sum.toLocaleString('en-US')} in ${values.length} hours, ` : ''}highest ${(
    values[peak] ?? 0
  ).toLocaleString('en-US')} in the hour from ${hour}.`;
}

export interface FeedRow extends FeedTask {
  id: string;
}

/** The newest feed tasks, newest window first, at most `limit`. */
export function feedRows(feed: readonly FeedMessage[], limit = FEED_ROWS): FeedRow[] {
  const rows: FeedRow[] = [];
  for (const message of feed) {
    for (const [i, task] of message.tasks.entries()) {
      if (rows.length >= limit) return rows;
      rows.push({ ...task, id: `${message.window}#${i}` });
    }
  }
  return rows;
}

/** Tasks of the kept windows that the feed does not list (beyond MAX_FEED_TASKS per window). */
export const feedMore = (feed: readonly FeedMessage[]): number => feed.reduce((sum, m) => sum + m.more, 0);

/** "10:35–10:40 CET": a feed window, in the zone every page shows. */
export function windowLabel(window: string, options?: TimeOptions): string {
  const start = Date.parse(window);
  return `${formatClock(start, options)}–${formatClock(start + WINDOW_MS, options)} ${formatZone(start, options)}`;
}

export function isStale(stats: StatsMessage | undefined, nowMs: number): boolean {
  return stats !== undefined && nowMs - Date.parse(stats.at) > STALE_AFTER_MS;
}
