// The page's side of the monitor database's worker: starts this tab's worker (it ingests and answers the pages'
// queries) and nudges it when the page comes back (visible again, network back), so a tab that slept reconnects at
// once instead of at the end of its backoff.
// Browser only: call it from the page (onMount, or a module that only runs with ssr = false).
import * as Comlink from 'comlink';
import type { IngestApi, MonitorDbWorkerApi, SharedIngestState } from '../worker-api.ts';

export function startMonitorDbWorker(): Comlink.Remote<MonitorDbWorkerApi> {
  const worker = new Worker(new URL('../worker/monitor-db-worker.ts', import.meta.url), {
    type: 'module',
    name: 'truwatch-ingest',
  });
  const api = Comlink.wrap<MonitorDbWorkerApi>(worker);
  const nudge = () => void api.reconnectNow();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') nudge();
  });
  globalThis.addEventListener('online', nudge);
  return api;
}

/** Subscribes a plain callback (wrapped in a Comlink proxy, as a function cannot cross to the worker as is). */
export function onIngestState(
  api: Comlink.Remote<IngestApi>,
  callback: (state: SharedIngestState) => void,
): Promise<void> {
  return api.subscribe(Comlink.proxy(callback));
}
