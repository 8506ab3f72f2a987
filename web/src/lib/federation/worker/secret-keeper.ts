// Which secret federation anonymizes under. Paired with a sidecar, the node's (sidecar-identity.ts), adopted
// whenever it differs from the one stored, as "Reset identity" adopts a new one: the tasks waiting in the outbox
// are anonymized again under it, the tasks already sent stay sent. While the sidecar cannot answer, the last one
// it gave goes on. Unpaired, or paired with a sidecar too old to keep one, this browser's own, made once. The
// secret in force is kept in federation's database ('secret'), so federation goes on offline.
import { fedError, type FedError } from '../codes.ts';
import type { FederationDb } from './federation-db.ts';
import { newSecret } from './identity.ts';
import type { Outbox } from './outbox.ts';
import { sameSecret, type SidecarIdentity, type SidecarSecret } from './sidecar-identity.ts';

export interface Settled {
  /** The secret in force; none while a paired browser waits for its sidecar's first answer. */
  secret: Uint8Array | undefined;
  /** True when it replaced the one stored. */
  adopted: boolean;
  /** What to tell the operator, once. */
  error?: FedError;
  /** True when the secret in force is the one it should be (the sidecar's answer, or the browser's own unpaired). */
  confirmed?: true;
}

export class SecretKeeper {
  /** The sidecar's last trouble told, so a refusal is told once, not every round. */
  private told: string | undefined;

  constructor(
    private readonly fed: FederationDb,
    private readonly outbox: Outbox,
    private readonly sidecar: SidecarIdentity | undefined,
  ) {}

  get paired(): boolean {
    return this.sidecar !== undefined;
  }

  /** The sidecar's answer (none unpaired). */
  ask(): Promise<SidecarSecret | undefined> {
    return this.sidecar ? this.sidecar.current() : Promise.resolve(undefined);
  }

  /** The secret in force after the sidecar's `answer` (undefined: unpaired). */
  async settle(answer: SidecarSecret | undefined): Promise<Settled> {
    const stored = await this.fed.get('secret');
    if (answer?.ok) {
      this.told = undefined;
      if (stored && sameSecret(stored, answer.secret))
        return { secret: stored, adopted: false, confirmed: true };
      await this.adopt(answer.secret);
      return { secret: answer.secret, adopted: true, confirmed: true };
    }
    if (!answer || answer.reason === 'absent') {
      if (stored) return { secret: stored, adopted: false, confirmed: true };
      const secret = newSecret();
      await this.adopt(secret);
      return { secret, adopted: true, confirmed: true };
    }
    const error = this.trouble(answer, stored !== undefined);
    return { secret: stored, adopted: false, ...(error && { error }) };
  }

  /**
   * A new secret, adopted: paired, the sidecar makes it (every other paired browser follows when it next asks);
   * else this browser does. Returns why there is none when the sidecar could not make one.
   */
  async reset(): Promise<FedError | undefined> {
    const answer = this.sidecar ? await this.sidecar.reset() : undefined;
    if (answer && !answer.ok && answer.reason !== 'absent')
      return fedError('FED_005', `no new identity: ${answer.detail}`);
    await this.adopt(answer?.ok ? answer.secret : newSecret());
    return undefined;
  }

  private async adopt(secret: Uint8Array): Promise<void> {
    await this.fed.set('secret', secret);
    await this.outbox.dropPending();
  }

  /**
   * An unreachable sidecar is not worth a word while a stored secret goes on. The rest is FED_005 (invalid
   * identity) rather than FED_002, which is about the federation server's credentials: what fails here is
   * getting the node's identity, and FED_005's fix says to pair again.
   */
  private trouble(answer: SidecarSecret & { ok: false }, stored: boolean): FedError | undefined {
    if (answer.reason === 'unreachable' && stored) return undefined;
    const message = stored
      ? `${answer.detail}; tasks go on under the last node secret it gave`
      : `waiting for the node's secret from the sidecar: ${answer.detail}`;
    if (message === this.told) return undefined;
    this.told = message;
    return fedError('FED_005', message);
  }
}
