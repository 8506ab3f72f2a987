// The aggregator's side of the anonymous tokens (docs/TRUST.md, "Counting only what is backed, exactly once"):
// a message counts only with a valid token of its kind, under a key accepted at its arrival, and only while
// that token is unspent or was spent on the same thing (a task key, a pseudonym's day).
import type { TokenKind } from '../../../protocol/private-token.ts';
import type { Metrics } from '../metrics.ts';
import { keyAccepted, type KeysFile } from './accepted-keys.ts';
import type { Spend, SpentTokens } from './spent-tokens.ts';
import type { TokenRefusal } from './token-refusals.ts';
import { tokenBytes } from './verify-token.ts';
import { tokenKeyId } from './token-key.ts';

/** A token whose signature, key and challenge were checked: what its spend is recorded under. */
export interface CheckedToken {
  keyIdHex: string;
  nonceHex: string;
}

export interface TokenGate {
  /** The message's token checked for `kind` at `ms` (its arrival), or why it backs nothing. */
  check(token: string | undefined, kind: TokenKind, ms: number): CheckedToken | TokenRefusal;
  /** Records the token as spent on `binding` (spent-tokens.ts). */
  spend(token: CheckedToken, binding: string): Promise<Spend>;
}

/**
 * The items whose token is spent on their binding, now or before; the others are refused and counted by
 * reason. Items without a token (none needed) pass.
 */
export async function spendAll<T extends { token?: CheckedToken }>(
  gate: TokenGate,
  metrics: Metrics,
  items: T[],
  binding: (item: T) => string,
): Promise<T[]> {
  const spends = await Promise.all(
    items.map((item) => (item.token ? gate.spend(item.token, binding(item)) : 'new')),
  );
  return items.filter((_, i) => {
    const spend = spends[i]!;
    if (spend === 'new' || spend === 'mine') return true;
    metrics.reject(spend);
    return false;
  });
}

/** The gate of an aggregator that requires tokens: keys from the issuer's keys file, spends in JetStream. */
export class RequiredTokens implements TokenGate {
  /** Key ids whose spent bucket was made, and those deleted after the key's last accepted day. */
  private readonly prepared = new Set<string>();
  private readonly retired = new Set<string>();

  constructor(
    private readonly keys: KeysFile,
    private readonly spent: SpentTokens,
  ) {}

  check(token: string | undefined, kind: TokenKind, ms: number): CheckedToken | TokenRefusal {
    if (token === undefined) return 'missing';
    const bytes = tokenBytes(token);
    if (!bytes) return 'malformed';
    const result = this.keys.current(Date.now()).verifier.verify(bytes, kind);
    if (!result.ok) return result.reason;
    if (!keyAccepted(result.token.key.notBefore, ms)) return 'expired_key';
    return {
      keyIdHex: result.token.tokenKeyId.toString('hex'),
      nonceHex: result.token.nonce.toString('hex'),
    };
  }

  spend(token: CheckedToken, binding: string): Promise<Spend> {
    return this.spent.spend(token.keyIdHex, token.nonceHex, binding);
  }

  /**
   * Makes the spent buckets of the keys in the file ahead of their week (several instances making one at the
   * moment its first tokens come slows those down), and deletes those of the keys no longer accepted at `now`
   * (their tokens are refused by their key).
   */
  async maintain(now: number): Promise<void> {
    for (const key of this.keys.current(now).keys) {
      const id = tokenKeyId(key.tokenKey).toString('hex');
      const ended = now >= key.notBefore && !keyAccepted(key.notBefore, now);
      if (ended && !this.retired.has(id)) {
        await this.spent.retire(id);
        this.retired.add(id);
      } else if (!ended && !this.prepared.has(id)) {
        await this.spent.prepare(id);
        this.prepared.add(id);
      }
    }
  }
}
