// The monitor database's Web Worker, its owner (started by page/start-worker.ts). Every tab has one; the one
// holding the 'truwatch-ingest' Web Lock runs the IngestClient, the others wait for the lock and show the leader's
// state, which it broadcasts. Each also answers its pages' queries (db/monitor-db-api.ts); every write is announced
// (db/changes.ts) so pages query again.
import * as Comlink from 'comlink';
import { applyEntries, applyStatus } from '../../db/apply.ts';
import { announceChange } from '../../db/changes.ts';
import { openTruwatchDb } from '../../db/open.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { monitorDbApi } from '../../db/monitor-db-api.ts';
import type { IngestState } from '../state.ts';
import type { IngestApi, IngestConfig, MonitorDbWorkerApi, SharedIngestState } from '../worker-api.ts';
import { IngestClient } from './client.ts';
import { runWhenLeader } from './leader.ts';
import { AutoPrune } from './auto-prune.ts';

const LOCK_NAME = 'truwatch-ingest';
const CHANNEL_NAME = 'truwatch-ingest-state';

type Message =
  { type: 'state'; state: IngestState } | { type: 'hello' } | { type: 'reconnect' } | { type: 'cleared' };

interface Session {
  controller: AbortController;
  done: Promise<void>;
  client?: IngestClient;
}

let db: Promise<TruwatchDb> | undefined;
/** The database, opened on first use and again after it closed (another tab upgraded or deleted it). */
const openDb = (): Promise<TruwatchDb> =>
  (db ??= openTruwatchDb(undefined, { onClose: () => (db = undefined) }).catch((error: unknown) => {
    db = undefined; // Tried again next time.
    throw error;
  }));
/** The writers, each announcing its change once committed. */
const announcing = {
  applyEntries: async (...args: Parameters<typeof applyEntries>) => {
    const result = await applyEntries(...args);
    // A replay of what is stored (a resumed stream sends its cursor's entry again) changes nothing to show.
    if (result.entries || result.tasks || result.invoices) announceChange();
    return result;
  },
  applyStatus: async (...args: Parameters<typeof applyStatus>) => {
    await applyStatus(...args);
    announceChange();
  },
};
let session: Session | undefined;
const subscribers = new Set<(state: SharedIngestState) => void>();
let latest: SharedIngestState = {
  kind: 'idle',
  counters: { entries: 0, batches: 0, invalid: 0, reconnects: 0 },
  leader: false,
};
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL_NAME) : undefined;

/** A subscriber is a Comlink proxy: its call is a promise that fails when its page is gone. */
function notify(callback: (state: SharedIngestState) => void, state: SharedIngestState): void {
  void Promise.resolve(callback(state)).catch(() => subscribers.delete(callback));
}

function publish(state: SharedIngestState): void {
  latest = state;
  for (const callback of subscribers) notify(callback, state);
}

channel?.addEventListener('message', (event: MessageEvent<Message>) => {
  const message = event.data;
  const client = session?.client;
  if (message.type === 'state' && !client) publish({ ...message.state, leader: false });
  else if (message.type === 'hello' && client) channel.postMessage({ type: 'state', state: client.state });
  else if (message.type === 'reconnect') client?.reconnectNow();
  else if (message.type === 'cleared') client?.restartNow();
});

/** The history was cleared (in this tab or another): the ingesting tab starts its stream again from the start. */
function cleared(): void {
  if (session?.client) session.client.restartNow();
  else channel?.postMessage({ type: 'cleared' } satisfies Message);
}

async function lead(config: IngestConfig, current: Session, signal: AbortSignal): Promise<void> {
  const client = new IngestClient({
    ...config,
    db: openDb,
    apply: announcing,
    onState: (state) => {
      publish({ ...state, leader: true });
      channel?.postMessage({ type: 'state', state } satisfies Message);
    },
  });
  current.client = client;
  client.start();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await client.stop();
  current.client = undefined;
}

const api: IngestApi = {
  async start(config) {
    await api.stop();
    const controller = new AbortController();
    const current: Session = { controller, done: Promise.resolve() };
    session = current;
    current.done = runWhenLeader(
      LOCK_NAME,
      (signal) => lead(config, current, signal),
      undefined,
      controller.signal,
    )
      // The client never throws; a failure here is the database not opening.
      .catch((error: unknown) =>
        publish({
          ...latest,
          kind: 'stopped',
          lastError: String(error),
          leader: current.client !== undefined,
        }),
      );
    // A waiting tab asks the leader for its state rather than showing 'idle' until the next change.
    channel?.postMessage({ type: 'hello' } satisfies Message);
  },
  async stop() {
    const current = session;
    if (!current) return;
    session = undefined;
    current.controller.abort();
    await current.done;
  },
  reconnectNow() {
    if (session?.client) session.client.reconnectNow();
    else channel?.postMessage({ type: 'reconnect' } satisfies Message);
  },
  subscribe(callback) {
    subscribers.add(callback);
    notify(callback, latest);
  },
};

const dbApi = monitorDbApi(openDb, announceChange);
const autoPrune = new AutoPrune(async (olderThanMs) => (await dbApi.pruneEntries(olderThanMs)).entries);
Comlink.expose({
  ...api,
  ...dbApi,
  keepEntriesFor: (days) => autoPrune.keep(days),
  async clearAll(options) {
    try {
      await dbApi.clearAll(options);
    } finally {
      cleared();
    }
  },
} satisfies MonitorDbWorkerApi);
