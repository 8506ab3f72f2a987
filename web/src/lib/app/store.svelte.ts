// The page's handle on the store. The ingest worker answers every query (pages load no database code: less JavaScript
// on first load), and says on a BroadcastChannel when the store changed, so pages run their queries again.
import type { Remote } from 'comlink';
import { CHANGES_CHANNEL } from '../db/changes.ts';
import type { StoreApi } from '../db/store-api.ts';
import { startMonitorDbWorker } from '../ingest/page/start-worker.ts';
import type { MonitorDbWorkerApi } from '../ingest/worker-api.ts';

/** This tab's worker: its ingest (session.svelte.ts) and its queries. */
export const worker: Remote<MonitorDbWorkerApi> = startMonitorDbWorker();

/** The store's queries and writes. Arguments are snapshotted: a state proxy cannot cross to the worker. */
export const store = new Proxy({} as Remote<StoreApi>, {
  get:
    (_, name: keyof StoreApi) =>
    (...args: unknown[]) =>
      (worker[name] as (...a: unknown[]) => unknown)(...args.map((arg) => $state.snapshot(arg))),
});

// Not reactive on purpose: who listens is bookkeeping, not shown.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const listeners = new Set<() => void>();
new BroadcastChannel(CHANGES_CHANNEL).addEventListener('message', () => {
  for (const listener of listeners) listener();
});

/** Calls `listener` after every change of the store (in this tab or another); returns the unsubscribe. */
export function onStoreChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Runs `query` now and again after every change of the store, passing each result to `set`. Changes that come
 * while it runs make one more run, not one each. Returns the stop.
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
  const off = onStoreChange(() => void run());
  void run();
  return () => {
    stopped = true;
    off();
  };
}
