// The page's side of federation: starts this tab's federation worker once (with config.json and the
// sidecar pairing), nudges it when the page comes back or the network returns, and holds its state for
// the pages. Loaded only when federation is used (boot.ts, or a federation page).
import * as Comlink from 'comlink';
import { session } from '../../app/session.svelte.ts';
import { rememberEnabled } from './enabled-flag.ts';
import { loadAppConfig } from '../app-config.ts';
import type { FederationStatus } from '../status.ts';
import type { FederationApi } from '../worker/worker.ts';

class FederationClient {
  status = $state<FederationStatus | undefined>(undefined);
  readonly api: Comlink.Remote<FederationApi>;

  constructor() {
    const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), {
      type: 'module',
      name: 'truwatch-federation',
    });
    this.api = Comlink.wrap<FederationApi>(worker);
    const nudge = () => void this.api.reconnectNow();
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') nudge();
    });
    globalThis.addEventListener('online', nudge);
    void this.start();
  }

  private async start(): Promise<void> {
    const config = await loadAppConfig();
    await this.api.subscribe(
      Comlink.proxy((status: FederationStatus) => {
        rememberEnabled(status.enabled);
        this.status = status;
      }),
    );
    const pairing = session.pairing && { baseUrl: session.pairing.baseUrl, token: session.pairing.token };
    await this.api.start({ config: config.federation, pairing });
  }
}

let client: FederationClient | undefined;

/** This tab's federation (started on first use). */
export function federation(): FederationClient {
  client ??= new FederationClient();
  return client;
}
