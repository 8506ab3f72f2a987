// What the monitor database's worker (worker/monitor-db-worker.ts) offers its pages over Comlink: the ingest's
// controls and state, and the database's queries and writes (db/monitor-db-api.ts). Types only: pages load no
// worker code.
import type { MonitorDbApi } from '../db/monitor-db-api.ts';
import type { IngestState } from './state.ts';

export interface IngestConfig {
  /** The sidecar, e.g. `http://127.0.0.1:8090`. */
  baseUrl: string;
  token: string;
}

/** The state of the ingest; `leader` false: another tab ingests and this is its state as it last broadcast it. */
export interface SharedIngestState extends IngestState {
  leader: boolean;
}

export interface IngestApi {
  /** (Re)starts with this sidecar and token: waits for the lock, then ingests until stop(). */
  start(config: IngestConfig): Promise<void>;
  stop(): Promise<void>;
  /** The page became visible or went online (forwarded to the leading tab when this one is not leading). */
  reconnectNow(): void;
  /** Pass a `Comlink.proxy(callback)`; it is called at once and on every change. */
  subscribe(callback: (state: SharedIngestState) => void): void;
}

export interface RetentionApi {
  /**
   * Keeps log entries for this many days (0: all): prunes now and every day while the app is open; resolves with
   * how many entries the pruning now deleted. Refuses what Settings refuse (db/retention.ts).
   */
  keepEntriesFor(days: number): Promise<number>;
}

export type MonitorDbWorkerApi = IngestApi & MonitorDbApi & RetentionApi;
