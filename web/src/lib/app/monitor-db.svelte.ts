// The page's handle on the monitor database. Its worker answers every query (pages load no database code: less
// JavaScript on first load), and says on a BroadcastChannel when the database changed, so pages run their queries
// again.
import type { Remote } from 'comlink';
import { CHANGES_CHANNEL } from '../db/changes.ts';
import type { MonitorDbApi } from '../db/monitor-db-api.ts';
import { startMonitorDbWorker } from '../ingest/page/start-worker.ts';
import type { MonitorDbWorkerApi } from '../ingest/worker-api.ts';

/** This tab's monitor database worker: its ingest (session.svelte.ts) and its queries. */
export const monitorDbWorker: Remote<MonitorDbWorkerApi> = startMonitorDbWorker();

/** The monitor database's queries and writes. Arguments are snapshotted: a state proxy cannot go to the worker. */
export const monitorDb = new Proxy({} as Remote<MonitorDbApi>, {
  get:
    (_, name: keyof MonitorDbApi) =>
    (...args: unknown[]) =>
      (monitorDbWorker[name] as (...a: unknown[]) => unknown)(...args.map((arg) => $state.snapshot(arg))),
});

// Not reactive on purpose: who listens is bookkeeping, not shown.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const listeners = new Set<() => void>();
new BroadcastChannel(CHANGES_CHANNEL).addEventListener('message', () => {
  for (const listener of listeners) listener();
});

/** Calls `listener` after every change of the monitor database (this tab's or another's); returns the stop. */
export function onMonitorDbChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Runs `query` now and again after every change of the monitor database, passing each result to `set`. Changes
 * that come while it runs make one more run, not one each. Returns the stop.
 */
export function watch<T>(query: () => Promise<T>, set: (value: T) => void): () => void {
  let stopped = false;
  let running = false;
  let again = false;
  const run = async () => {
    if (running) return void (again = true);
    running = true;
    try {
      do {
        again = false;
        const value = await query();
        if (!stopped) set(value);
      } while (again && !stopped);
    } catch (error) {
      console.error('truwatch: query failed', error);
    } finally {
      running = false;
    }
  };
  const off = onMonitorDbChange(() => void run());
  void run();
  return () => {
    stopped = true;
    off();
  };
}
