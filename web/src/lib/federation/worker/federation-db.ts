// Federation's own IndexedDB database, apart from the monitor's: the secret in force, the operator's choices,
// the outbox of finished tasks, the log of what was sent, and what was received. Owned by the federation
// worker; the monitor's database is only read.
import { openDB, unwrap, type DBSchema, type IDBPDatabase } from 'idb';
import { createStore, inTransaction, request } from '../../db/idb.ts';
import type { FeedTask, StatsMessage } from '../../../../../protocol/federation.ts';
import type { TokenKind } from '../../../../../protocol/private-token.ts';
import type { FederationSettings } from '../settings.ts';
import type { Counters } from '../status.ts';
import { FEDERATION_DB } from '../db-name.ts';

export { FEDERATION_DB };
export const DAY_MS = 86_400_000;
/** How far back a finished task may still be published, and how long the sent log is kept. */
export const KEEP_MS = 7 * DAY_MS;
/** Bounds on every table, whatever the retention says. */
export const MAX_SENT = 100_000;
export const MAX_FEED = 50_000;

/** One finished task the outbox considered: waiting to be published, published, or refused by the guard. */
export interface OutboxRecord {
  executionId: string;
  finishedMs: number;
  state: 'pending' | 'sent' | 'refused';
  /** The message as it will be (was) published. */
  json?: string;
  /** Why the guard refused it. */
  reason?: string;
  /** When it may leave (timing.ts); rows queued before release times existed have none and are due at once. */
  releaseMs?: number;
  /** Why the server refused it the first time (it waits, and its refusal is in the sent log once). */
  refusedBy?: string;
  /** The task token `json` carries (tokens.ts): a re-send carries the same one. */
  token?: TokenRecord;
}

/** A message that left, exactly as sent. */
export interface SentRecord {
  id?: number;
  atMs: number;
  subject: string;
  kind: 'task' | 'heartbeat' | 'activity';
  json: string;
  /** Why the server refused it (a permission error): it reached the server but counted for nothing. */
  refused?: string;
}

/** An anonymous token in the stock (tokens.ts), fetched from the federation's issuer and not yet used. */
export interface TokenRecord {
  id?: number;
  kind: TokenKind;
  /** base64url, as messages carry it. */
  token: string;
  /** The issuer's key it was signed under (hex token_key_id), and that key's week start. */
  keyId: string;
  notBeforeMs: number;
  fetchedMs: number;
  /** Not used before this (token-schedule.ts, the quarantine after a fetch); absent: at once. */
  usableFromMs?: number;
}

/** The presence token of one pseudonym's day: every heartbeat and activity report of that day carries it. */
export interface PresenceToken {
  node: string;
  /** The UTC day (its start, epoch ms). */
  dayMs: number;
  token: TokenRecord;
}

/** The token fetches' schedule (token-schedule.ts). */
export interface TokenFetchState {
  /** The issuer the stock is from (its URL and name): another empties the stock. */
  issuer: string;
  /** When the next fetch round runs. */
  nextMs: number;
  /** The key week (its start) whose presence tokens were fetched, and how many of them (absent: all). */
  presenceWeekMs: number | null;
  presenceGot?: number;
}

export interface FeedRecord {
  id?: number;
  receivedMs: number;
  window: string;
  task: FeedTask;
}

/** A period during which finished tasks are shared: [fromMs, toMs), open while toMs is null. */
export interface Period {
  fromMs: number;
  toMs: number | null;
}

export interface Meta {
  secret: Uint8Array;
  /** The operator's own choices (what config.json said is not stored). */
  chosen: Partial<FederationSettings>;
  /** When finished tasks are shared. */
  periods: Period[];
  /** The opt-in (its atMs) the periods took into account. */
  optedIn: number;
  /** When the node's presence (heartbeats, activity reports) is shared, and the opt-in they took into account. */
  presencePeriods: Period[];
  presenceOptedIn: number;
  counters: Counters;
  /** When the last heartbeat was published, by any tab: the next waits at least the interval after it. */
  heartbeatAtMs: number;
  stats: { receivedMs: number; message: StatsMessage };
  /** The hours (their starts, epoch ms) whose activity report was sent, the last 7 days of them. */
  activitySent: number[];
  /** The presence tokens of the last days' pseudonyms (tokens.ts). */
  presenceTokens: PresenceToken[];
  tokenFetch: TokenFetchState;
}

interface MetaRecord {
  key: keyof Meta;
  value: unknown;
}

/**
 * The stores each IndexedDB version added, as Dexie-style specs (see createStore): version 10 is the layout
 * Dexie created (its version 1); 11 added the token stock.
 */
export const FEDERATION_UPGRADES: readonly [number, Record<string, string>][] = [
  [
    10,
    {
      meta: 'key',
      outbox: 'executionId, finishedMs, [state+finishedMs]',
      sent: '++id, atMs',
      feed: '++id, receivedMs',
    },
  ],
  [11, { tokens: '++id, [kind+notBeforeMs]' }],
];
export const FEDERATION_VERSION = FEDERATION_UPGRADES.at(-1)![0];

export interface FederationSchema extends DBSchema {
  meta: { key: string; value: MetaRecord };
  outbox: {
    key: string;
    value: OutboxRecord;
    indexes: { finishedMs: number; '[state+finishedMs]': [string, number] };
  };
  sent: { key: number; value: SentRecord; indexes: { atMs: number } };
  feed: { key: number; value: FeedRecord; indexes: { receivedMs: number } };
  tokens: { key: number; value: TokenRecord; indexes: { '[kind+notBeforeMs]': [string, number] } };
}

export class FederationDb {
  private constructor(readonly db: IDBPDatabase<FederationSchema>) {}

  /**
   * Opens (or creates) federation's database. `onClose`: it closed by itself (another tab upgrades or deletes it;
   * `deleted` says which).
   */
  static async open(name = FEDERATION_DB, onClose?: (deleted: boolean) => void): Promise<FederationDb> {
    const db: IDBPDatabase<FederationSchema> = await openDB<FederationSchema>(name, FEDERATION_VERSION, {
      upgrade(db, oldVersion) {
        for (const [version, stores] of FEDERATION_UPGRADES)
          if (oldVersion < version)
            for (const [store, spec] of Object.entries(stores)) createStore(unwrap(db), store, spec);
      },
      blocking(_current, next) {
        db.close();
        onClose?.(next === null);
      },
      terminated: () => onClose?.(false),
    });
    return new FederationDb(db);
  }

  close(): void {
    this.db.close();
  }

  async get<K extends keyof Meta>(key: K): Promise<Meta[K] | undefined> {
    return (await this.db.get('meta', key))?.value as Meta[K] | undefined;
  }

  async set<K extends keyof Meta>(key: K, value: Meta[K]): Promise<void> {
    await this.db.put('meta', { key, value });
  }

  /** Drops what is past its retention and keeps every table within its bound. */
  async prune(nowMs: number, feedRetentionDays: number): Promise<void> {
    await this.deleteBelow('outbox', 'finishedMs', nowMs - KEEP_MS);
    await this.deleteBelow('sent', 'atMs', nowMs - KEEP_MS);
    await this.deleteBelow('feed', 'receivedMs', nowMs - feedRetentionDays * DAY_MS);
    await this.trim('sent', MAX_SENT);
    await this.trim('feed', MAX_FEED);
  }

  /** Deletes the records whose `index` is below `cutoff`, in one transaction. */
  private deleteBelow(name: 'outbox' | 'sent' | 'feed', index: string, cutoff: number): Promise<void> {
    return inTransaction(this.db.transaction(name, 'readwrite'), async (tx) => {
      const store = unwrap(tx.store);
      const keys = await request(store.index(index).getAllKeys(IDBKeyRange.upperBound(cutoff, true)));
      await Promise.all(keys.map((key) => request(store.delete(key))));
    });
  }

  /** Keeps the newest `max` records (by their auto-incremented id). */
  private trim(name: 'sent' | 'feed', max: number): Promise<void> {
    return inTransaction(this.db.transaction(name, 'readwrite'), async (tx) => {
      const extra = (await tx.store.count()) - max;
      if (extra <= 0) return;
      const keys = await tx.store.getAllKeys(null, extra);
      await tx.store.delete(IDBKeyRange.upperBound(keys.at(-1)!));
    });
  }
}
