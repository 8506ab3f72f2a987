// The stock of anonymous tokens (docs/TRUST.md, "Which messages carry one"): fetched ahead from the
// federation's issuer (token-schedule.ts), kept in federation's database, and used newest key first from a day
// into the key's week (every node then spends the current week's key from one common moment, whatever its
// history: new nodes do not stand out, and no node's switch follows its own round), each token only once its
// round's quarantine has passed (so no message follows its token's request). A task
// takes one token of its own, kept with its outbox row (outbox.ts); a pseudonym's day takes one presence token,
// which every heartbeat and activity report of that day carries. A token is taken and its use recorded in one
// transaction, so a crash loses none and uses none twice.
import type { IDBPObjectStore, StoreNames } from 'idb';
import { keyAcceptedUntil, type TokenKind } from '../../../../../protocol/private-token.ts';
import { inTransaction } from '../../db/idb.ts';
import {
  DAY_MS,
  type FederationDb,
  type FederationSchema,
  type PresenceToken,
  type TokenRecord,
} from './federation-db.ts';

/** A token is used only while its key stays accepted this long after: the message may wait, or come late. */
export const USE_MARGIN_MS = DAY_MS;
/** Presence tokens of the days this far back are remembered (activity reports go back 7 days). */
const PRESENCE_KEEP_MS = 8 * DAY_MS;

/** Whether a token under the key of the week at `notBeforeMs` may be used at `nowMs`. */
export function usable(token: Pick<TokenRecord, 'notBeforeMs'>, nowMs: number): boolean {
  return nowMs >= token.notBeforeMs && nowMs < keyAcceptedUntil(token.notBeforeMs) - USE_MARGIN_MS;
}

/**
 * A new key week's tokens are taken first only from this long after the week began: every node switches to the
 * new key at that one moment (while it has older tokens), not at its own round's.
 */
export const SWITCH_MS = DAY_MS;

/** The index range of the tokens of `kind` usable at `nowMs` (of keys whose week began by `toMs`). */
function usableRange(kind: TokenKind, nowMs: number, toMs = nowMs): IDBKeyRange {
  const oldest = nowMs + USE_MARGIN_MS - keyAcceptedUntil(0);
  return IDBKeyRange.bound([kind, oldest], [kind, toMs], true, false);
}

type TokensStore = IDBPObjectStore<
  FederationSchema,
  ArrayLike<StoreNames<FederationSchema>>,
  'tokens',
  'readwrite'
>;

/**
 * Takes (deletes) up to `count` usable tokens of `kind` whose quarantine has passed, newest key first, from the
 * transaction's store.
 */
export async function takeTokens(
  store: TokensStore,
  kind: TokenKind,
  count: number,
  nowMs: number,
): Promise<TokenRecord[]> {
  const tokens: TokenRecord[] = [];
  const index = store.index('[kind+notBeforeMs]');
  const take = async (range: IDBKeyRange, direction: IDBCursorDirection) => {
    let cursor = await index.openCursor(range, direction);
    for (; cursor && tokens.length < count; cursor = await cursor.continue()) {
      if ((cursor.value.usableFromMs ?? 0) > nowMs) continue;
      tokens.push(cursor.value);
      await cursor.delete();
    }
  };
  if (count <= 0) return tokens;
  // Keys whose week began a day ago or more, newest first; then a key in its first day, if nothing else is left.
  await take(usableRange(kind, nowMs, nowMs - SWITCH_MS), 'prev');
  const settled = nowMs - SWITCH_MS;
  if (tokens.length < count)
    await take(IDBKeyRange.bound([kind, settled], [kind, nowMs], true, false), 'next');
  return tokens;
}

export class TokenStock {
  constructor(private readonly fed: FederationDb) {}

  async add(tokens: readonly Omit<TokenRecord, 'id'>[]): Promise<void> {
    await inTransaction(this.fed.db.transaction('tokens', 'readwrite'), (tx) =>
      Promise.all(tokens.map((t) => tx.store.add(t))),
    );
  }

  /** How many tokens of each kind are usable now. */
  async counts(nowMs: number): Promise<Record<TokenKind, number>> {
    const count = (kind: TokenKind) =>
      this.fed.db.countFromIndex('tokens', '[kind+notBeforeMs]', usableRange(kind, nowMs));
    return { presence: await count('presence'), task: await count('task') };
  }

  /**
   * The presence token of `node`'s UTC day that holds `atMs`: the one it has, while it is usable at `nowMs`, or one
   * taken from the stock for it now. Undefined when the stock has none.
   */
  async presenceFor(node: string, atMs: number, nowMs: number): Promise<TokenRecord | undefined> {
    const dayMs = Math.floor(atMs / DAY_MS) * DAY_MS;
    return inTransaction(this.fed.db.transaction(['tokens', 'meta'], 'readwrite'), async (tx) => {
      const meta = tx.objectStore('meta');
      const known = ((await meta.get('presenceTokens'))?.value as PresenceToken[] | undefined) ?? [];
      const mine = known.find((p) => p.node === node && p.dayMs === dayMs);
      if (mine && usable(mine.token, nowMs)) return mine.token;
      const [token] = await takeTokens(tx.objectStore('tokens'), 'presence', 1, nowMs);
      if (!token) return undefined;
      const kept = known.filter((p) => p !== mine && p.dayMs >= nowMs - PRESENCE_KEEP_MS);
      await meta.put({ key: 'presenceTokens', value: [...kept, { node, dayMs, token }] });
      return token;
    });
  }

  /** Drops the tokens no longer usable. */
  async prune(nowMs: number): Promise<void> {
    await inTransaction(this.fed.db.transaction('tokens', 'readwrite'), async (tx) => {
      const stale = (await tx.store.getAll()).filter((t) => !usable(t, nowMs) && t.notBeforeMs <= nowMs);
      await Promise.all(stale.map((t) => tx.store.delete(t.id!)));
    });
  }

  /** Forgets every token and presence token (another issuer: they would count for nothing). */
  async clear(): Promise<void> {
    await inTransaction(this.fed.db.transaction(['tokens', 'meta'], 'readwrite'), async (tx) => {
      await tx.objectStore('tokens').clear();
      await tx.objectStore('meta').delete('presenceTokens');
    });
  }
}
