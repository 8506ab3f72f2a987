// The aggregator's side of the anonymous tokens (docs/TRUST.md, "Counting only what is backed, exactly once"):
// a message counts only with a valid token of its kind, under a key accepted both when it arrived and when it is
// counted, and only while that token is unspent or was spent on the same thing (spend-on.ts).
import type { TokenKind } from '../../../protocol/private-token.ts';
import type { Metrics } from '../metrics.ts';
import { keyAccepted, keyAcceptedUntil, type KeysFile } from './accepted-keys.ts';
import type { Spend, SpendOn, SpentTokens } from './spent-tokens.ts';
import type { TokenRefusal } from './token-refusals.ts';
import { tokenBytes } from './verify-token.ts';
import { tokenKeyId } from './token-key.ts';

/**
 * How long after its key's acceptance ended a spent bucket is deleted. No message is counted under the key past
 * the end (check()), and a batch checked before it is counted or read again within seconds.
 */
export const RETIRE_AFTER_MS = 3600_000;
/** How often the server's streams are listed for buckets of keys that left the keys file. */
const UNKNOWN_EVERY_MS = 3600_000;

/** A token whose signature, key and challenge were checked: what its spend is recorded under. */
export interface CheckedToken {
  keyIdHex: string;
  nonceHex: string;
}

export interface TokenGate {
  /** The message's token checked for `kind` at `ms` (its arrival), or why it backs nothing. */
  check(token: string | undefined, kind: TokenKind, ms: number): CheckedToken | TokenRefusal;
  /** Records the token as spent on `on` (spent-tokens.ts). */
  spend(token: CheckedToken, on: SpendOn): Promise<Spend>;
}

/**
 * The items whose token is spent on what `on` says, now or before; the others are refused and counted by
 * reason. Items without a token (none needed) pass.
 */
export async function spendAll<T extends { token?: CheckedToken }>(
  gate: TokenGate,
  metrics: Metrics,
  items: T[],
  on: (item: T) => SpendOn,
): Promise<T[]> {
  const spends = await Promise.all(
    items.map((item) => (item.token ? gate.spend(item.token, on(item)) : 'new')),
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
  /** Key ids whose bucket was made, and those whose bucket was deleted: only of the keys in the file. */
  private prepared = new Set<string>();
  private retired = new Set<string>();
  private unknownAt = -Infinity;

  constructor(
    private readonly keys: KeysFile,
    private readonly spent: SpentTokens,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  check(token: string | undefined, kind: TokenKind, ms: number): CheckedToken | TokenRefusal {
    if (token === undefined) return 'missing';
    const bytes = tokenBytes(token);
    if (!bytes) return 'malformed';
    const now = this.now();
    const result = this.keys.current(now).verifier.verify(bytes, kind);
    if (!result.ok) return result.reason;
    // Accepted when the message arrived, and still now: a backlog counted after the key's end is refused, so
    // no spend can come after its bucket is deleted.
    const { notBefore } = result.token.key;
    if (!keyAccepted(notBefore, ms) || now >= keyAcceptedUntil(notBefore)) return 'expired_key';
    return {
      keyIdHex: result.token.tokenKeyId.toString('hex'),
      nonceHex: result.token.nonce.toString('hex'),
    };
  }

  async spend(token: CheckedToken, on: SpendOn): Promise<Spend> {
    const spend = await this.spent.spend(token.keyIdHex, token.nonceHex, on);
    if (spend !== 'no_store') return spend;
    // A key new in the file, whose bucket the next maintain() makes: read the batch again then.
    if (!this.prepared.has(token.keyIdHex))
      throw new Error(`the spent-token bucket of key ${token.keyIdHex.slice(0, 16)}… is not made yet`);
    // Made, and deleted since while its key is still accepted: made again empty, it would let every spent
    // token of its key count again. Its tokens count for nothing until the key ends.
    this.log(
      `aggregator: the spent-token bucket of key ${token.keyIdHex.slice(0, 16)}… is gone; its tokens are refused (no_store) until the key ends`,
    );
    return spend;
  }

  /**
   * Makes the spent buckets of the keys in the file ahead of their week (a spend never makes one), and deletes
   * those of the keys whose acceptance ended RETIRE_AFTER_MS ago, and old ones of keys no longer in the file.
   * Run at start, before counting, and then at every stats tick.
   */
  async maintain(now: number): Promise<void> {
    const keys = this.keys.current(now).keys.map((key) => ({
      id: tokenKeyId(key.tokenKey).toString('hex'),
      ended: now >= keyAcceptedUntil(key.notBefore) + RETIRE_AFTER_MS,
    }));
    const ids = keys.map((key) => key.id);
    this.prepared = new Set(ids.filter((id) => this.prepared.has(id)));
    this.retired = new Set(ids.filter((id) => this.retired.has(id)));
    this.spent.forget(ids);
    for (const { id, ended } of keys) {
      if (ended && !this.retired.has(id)) {
        await this.spent.retire(id);
        this.retired.add(id);
      } else if (!ended && !this.prepared.has(id)) {
        await this.spent.prepare(id);
        this.prepared.add(id);
      }
    }
    if (now - this.unknownAt >= UNKNOWN_EVERY_MS) {
      this.unknownAt = now;
      const deleted = await this.spent.retireUnknown(ids, now);
      if (deleted) this.log(`aggregator: deleted ${deleted} spent-token buckets of keys that ended`);
    }
  }
}
