// The federation's Web Worker (started by page/client.svelte.ts, only once federation is used). Every tab
// that loads it has one; the one holding the 'truwatch-federation' Web Lock runs the FederationService, the
// others show the state it broadcasts and forward changes to it. Reads of federation's database work in any
// tab.
import * as Comlink from 'comlink';
import type { FederationConfig } from '../../../../../protocol/app-config.ts';
import { readAppConfig } from '../app-config.ts';
import { openTruwatchDb } from '../../db/open.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { runWhenLeader } from '../../ingest/worker/leader.ts';
import { FederationService } from './service.ts';
import { SidecarIdentity } from './sidecar-identity.ts';
import type { FederationSettings } from '../settings.ts';
import { reporter, type Pairing } from './sidecar-report.ts';
import type { FederationStatus } from '../status.ts';
import { FederationDb } from './federation-db.ts';
import * as views from './views.ts';

export const LOCK_NAME = 'truwatch-federation';
const CHANNEL_NAME = 'truwatch-federation';

export interface StartOptions {
  config: FederationConfig | undefined;
  /**
   * The paired sidecar: it keeps the node's secret, and the state is reported to it (GET
   * /api/federation/status answers with it).
   */
  pairing: Pairing | undefined;
}

type Message =
  | { type: 'status'; status: FederationStatus }
  | { type: 'hello' }
  | { type: 'reload' }
  | { type: 'reset' }
  | { type: 'reconnect' };

let fedDb: Promise<FederationDb> | undefined;
let mainDb: Promise<TruwatchDb> | undefined;
/** Ends the leading tab's federation: its database was deleted ("Clear all data", in any tab). */
let onDeleted: (() => void) | undefined;
/** The databases, opened on first use and again after they closed (another tab upgraded or deleted them). */
const openFed = (): Promise<FederationDb> =>
  (fedDb ??= FederationDb.open(undefined, (deleted) => {
    fedDb = undefined;
    if (deleted) onDeleted?.();
  }).catch((error: unknown) => {
    fedDb = undefined;
    throw error;
  }));
const openMain = (): Promise<TruwatchDb> =>
  (mainDb ??= openTruwatchDb(undefined, { onClose: () => (mainDb = undefined) }).catch((error: unknown) => {
    mainDb = undefined;
    throw error;
  }));
const channel = new BroadcastChannel(CHANNEL_NAME);
const subscribers = new Set<(status: FederationStatus) => void>();
let service: FederationService | undefined;
let latest: FederationStatus | undefined;
let started = false;

function publish(status: FederationStatus): void {
  latest = status;
  for (const callback of subscribers)
    void Promise.resolve(callback(status)).catch(() => subscribers.delete(callback));
}

channel.addEventListener('message', (event: MessageEvent<Message>) => {
  const m = event.data;
  if (m.type === 'status' && !service) publish({ ...m.status, leader: false });
  else if (m.type === 'hello' && service) channel.postMessage({ type: 'status', status: service.status() });
  else if (m.type === 'reload') void service?.reload();
  // A reset that failed is told in the status every tab shows.
  else if (m.type === 'reset') void service?.resetIdentity().catch(() => undefined);
  else if (m.type === 'reconnect') service?.reconnectNow();
});

async function lead(options: StartOptions, signal: AbortSignal): Promise<void> {
  const report = reporter(
    options.pairing,
    () => service?.status(),
    async () => (await openFed()).get('stats'),
  );
  const current = new FederationService({
    fed: await openFed(),
    main: await openMain(),
    config: options.config,
    readConfig: () => readAppConfig(),
    ...(options.pairing && { sidecar: new SidecarIdentity(options.pairing) }),
    onStatus: (status) => {
      publish(status);
      channel.postMessage({ type: 'status', status } satisfies Message);
      report.changed();
    },
  });
  service = current;
  const deleted = new Promise<void>((resolve) => (onDeleted = resolve));
  const aborted = new Promise<void>((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  await current.start();
  const why = await Promise.race([aborted.then(() => 'stop'), deleted.then(() => 'deleted')]);
  onDeleted = undefined;
  report.stop();
  await current.stop();
  service = undefined;
  if (why === 'stop') return;
  // Deleted: federation is off in every tab until a page starts it again (a reload). This tab keeps the lock, so
  // no other tab's federation starts and makes the database anew; every tab is told it is off.
  const off: FederationStatus = {
    ...current.status(),
    enabled: false,
    state: 'DISABLED',
    pending: 0,
    retryAtMs: null,
  };
  publish(off);
  channel.postMessage({ type: 'status', status: off } satisfies Message);
  await aborted;
}

function tell(message: Message): void {
  channel.postMessage(message);
}

const api = {
  /** Joins the election for running federation (once per worker). */
  start(options: StartOptions): void {
    if (started) return;
    started = true;
    void runWhenLeader(LOCK_NAME, (signal) => lead(options, signal));
    tell({ type: 'hello' });
  },
  /** Pass a `Comlink.proxy(callback)`: called with the latest state and on every change. */
  subscribe(callback: (status: FederationStatus) => void): void {
    subscribers.add(callback);
    if (latest) void Promise.resolve(callback(latest)).catch(() => subscribers.delete(callback));
  },
  /** Records the operator's choices (enabling is one) and applies them in the leading tab. */
  async choose(patch: Partial<FederationSettings>): Promise<void> {
    const fed = await openFed();
    await fed.set('chosen', { ...((await fed.get('chosen')) ?? {}), ...patch });
    if (service) await service.reload();
    else tell({ type: 'reload' });
  },
  /** Rejects when this tab runs federation and the sidecar could not make a new secret. */
  async resetIdentity(): Promise<void> {
    if (service) await service.resetIdentity();
    else tell({ type: 'reset' });
  },
  reconnectNow(): void {
    if (service) service.reconnectNow();
    else tell({ type: 'reconnect' });
  },
  sentLog: async (query: string, limit?: number) => views.sentLog(await openFed(), query, limit),
  contribution: async () => views.contribution(await openFed(), Date.now()),
  feed: async (limit?: number) => views.feed(await openFed(), limit),
  stats: async () => views.stats(await openFed()),
  sample: async () => views.sample(await openFed(), await openMain(), Date.now()),
};

export type FederationApi = typeof api;

Comlink.expose(api);
