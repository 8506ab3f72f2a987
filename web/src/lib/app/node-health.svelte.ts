// The node's health as the sidecar judges it (GET /api/status `health`), asked every 15 s while a page is
// open and visible: the verdict every page shows first, before the browser's own connection to the sidecar.
import * as v from 'valibot';
import { NodeHealthSchema, type NodeHealth } from '../../../../protocol/node-health.ts';
import type { Pairing } from './session.svelte.ts';

export const HEALTH_POLL_MS = 15_000;

const StatusWithHealth = v.object({ health: NodeHealthSchema });

class NodeHealthState {
  /** The latest verdict the sidecar gave, undefined until one came. */
  health = $state<NodeHealth | undefined>(undefined);
  /** When it came (this browser's clock). */
  receivedAt = $state<number | undefined>(undefined);
  /** Why the latest ask failed (the verdict shown is then older). */
  problem = $state<string | undefined>(undefined);
  /** True while the latest ask got no answer at all (network), as opposed to an answer that is an error. */
  unreachable = $state(false);

  private timer: ReturnType<typeof setInterval> | undefined;
  private pairing: Pairing | undefined;

  /** Starts asking the sidecar of `pairing` (again at once when the page becomes visible); stops with stop(). */
  follow(pairing: Pairing | undefined): () => void {
    this.stop();
    this.pairing = pairing;
    if (!pairing) return () => {};
    const ask = () => {
      if (document.visibilityState === 'visible') void this.ask();
    };
    ask();
    this.timer = setInterval(ask, HEALTH_POLL_MS);
    document.addEventListener('visibilitychange', ask);
    return () => {
      document.removeEventListener('visibilitychange', ask);
      this.stop();
    };
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async ask(): Promise<void> {
    const pairing = this.pairing;
    if (!pairing) return;
    try {
      const response = await fetch(`${pairing.baseUrl}/api/status`, {
        headers: { authorization: `Bearer ${pairing.token}` },
        cache: 'no-store',
      });
      if (!response.ok) throw new Error(`the sidecar answered ${response.status}`);
      const parsed = v.safeParse(StatusWithHealth, await response.json());
      if (!parsed.success) throw new Error('the sidecar gave no health verdict (an older sidecar?)');
      this.health = parsed.output.health;
      this.receivedAt = Date.now();
      this.problem = undefined;
      this.unreachable = false;
    } catch (error) {
      this.unreachable = error instanceof TypeError;
      this.problem = this.unreachable ? 'the sidecar cannot be reached' : (error as Error).message;
    }
  }
}

export const nodeHealth = new NodeHealthState();
