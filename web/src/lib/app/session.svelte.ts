// The pairing with a sidecar: its URL and API token (kept in this browser only), the monitor database's worker
// that reads its events, and the connection state every page shows.
import { onIngestState } from '../ingest/page/start-worker.ts';
import type { SharedIngestState } from '../ingest/worker-api.ts';
import { monitorDbWorker } from './monitor-db.svelte.ts';

const STORAGE_KEY = 'truwatch.sidecar';

export interface Pairing {
  baseUrl: string;
  token: string;
}

function loadPairing(): Pairing | undefined {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    const value = raw ? (JSON.parse(raw) as Partial<Pairing>) : undefined;
    return value?.baseUrl && value.token ? { baseUrl: value.baseUrl, token: value.token } : undefined;
  } catch {
    return undefined;
  }
}

/** The token of a pairing link (`…/#token=…`), removed from the address bar at once. */
function takeTokenFromLink(): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(history.state, '', location.pathname + location.search);
  return decodeURIComponent(match[1]!);
}

class Session {
  pairing = $state<Pairing | undefined>(undefined);
  state = $state<SharedIngestState>({
    kind: 'idle',
    counters: { entries: 0, batches: 0, invalid: 0, reconnects: 0 },
    leader: false,
  });
  private readonly ingest = monitorDbWorker;

  /** Pairs from the address bar or from storage, and starts ingesting when paired. */
  async init(): Promise<void> {
    const token = takeTokenFromLink();
    if (token) this.save({ baseUrl: location.origin, token });
    else this.pairing = loadPairing();
    await onIngestState(this.ingest, (state) => (this.state = state));
    if (this.pairing) await this.ingest.start($state.snapshot(this.pairing));
  }

  /** Checks a sidecar URL and token; resolves with a sentence saying what is wrong, or undefined when fine. */
  async check(pairing: Pairing): Promise<string | undefined> {
    let response: Response;
    try {
      response = await fetch(`${pairing.baseUrl}/api/status`, {
        headers: { authorization: `Bearer ${pairing.token}` },
      });
    } catch {
      return (
        `The sidecar at ${pairing.baseUrl} cannot be reached from this page. Is it running? ` +
        'If this page is served from another address, the browser may block a public page from calling a ' +
        'local address: open the sidecar itself (the pairing link it prints), or allow this origin in the ' +
        "sidecar's ALLOWED_ORIGINS and accept the browser's local network permission prompt."
      );
    }
    if (response.status === 401)
      return 'The sidecar refused this token. Copy it again from its pairing link.';
    if (response.status === 429)
      return 'Too many wrong tokens: the sidecar waits a minute before trying again.';
    if (!response.ok) return `The sidecar answered ${response.status}.`;
    return undefined;
  }

  async connect(pairing: Pairing): Promise<void> {
    this.save(pairing);
    // A plain object: state proxies cannot cross to the worker.
    await this.ingest.start({ baseUrl: pairing.baseUrl, token: pairing.token });
  }

  async disconnect(): Promise<void> {
    localStorage.removeItem(STORAGE_KEY);
    this.pairing = undefined;
    await this.ingest.stop();
  }

  reconnectNow(): void {
    void this.ingest.reconnectNow();
  }

  private save(pairing: Pairing): void {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(pairing));
    this.pairing = pairing;
  }
}

export const session = new Session();
