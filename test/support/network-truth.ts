// What the network page must show for a set of published federation messages, worked out from the
// messages themselves (not from the aggregator): tasks counted once per key by window age, nodes by their
// latest heartbeat, regions and versions under MIN_CELL_NODES merged into `other`.
import {
  MIN_CELL_NODES,
  OTHER,
  WINDOW_MS,
  windowOf,
  type HeartbeatMessage,
  type StatsMessage,
  type TaskMessage,
} from '../../protocol/federation.ts';

/** Every number of a snapshot the page shows. */
export type ShownNumbers = Omit<StatsMessage, 'v' | 'at' | 'hourly'>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
type Counts = Record<string, number>;

const add = (counts: Counts, key: string, n = 1) => (counts[key] = (counts[key] ?? 0) + n);

function merged(counts: Counts): Counts {
  const out: Counts = {};
  for (const [key, n] of Object.entries(counts)) add(out, n >= MIN_CELL_NODES ? key : OTHER, n);
  return out;
}

/**
 * The numbers implied by `tasks` and `beats` (in publication order) at `now`, all heartbeats being recent
 * (heard within the active window) and of the current UTC day.
 */
export function truth(tasks: TaskMessage[], beats: HeartbeatMessage[], now = Date.now()): ShownNumbers {
  const current = Date.parse(windowOf(now));
  const seen = new Set<string>();
  const shown: ShownNumbers = {
    activeNodes: 0,
    nodesToday: 0,
    tasks: { lastHour: 0, last24h: 0, last7d: 0 },
    outcomes: {},
    kinds: {},
    chains: {},
    duration: {},
    steps: {},
    memory: {},
    regions: {},
    versions: {},
  };
  for (const task of tasks) {
    if (seen.has(task.key)) continue;
    seen.add(task.key);
    const age = current - Date.parse(task.window);
    if (age >= 7 * DAY_MS || age < -WINDOW_MS) continue;
    shown.tasks.last7d++;
    if (age >= DAY_MS) continue;
    shown.tasks.last24h++;
    if (age < HOUR_MS) shown.tasks.lastHour++;
    add(shown.outcomes, task.outcome);
    add(shown.kinds, task.kind);
    add(shown.chains, task.chain);
    add(shown.duration, task.duration);
    add(shown.steps, task.steps);
    add(shown.memory, task.memory);
  }
  const latest = new Map(beats.map((beat) => [beat.node, beat]));
  const regions: Counts = {};
  const versions: Counts = {};
  for (const beat of latest.values()) {
    add(regions, beat.region ?? 'unknown');
    add(versions, beat.version);
  }
  shown.activeNodes = shown.nodesToday = latest.size;
  shown.regions = merged(regions);
  shown.versions = merged(versions);
  return shown;
}
