// Federation's own IndexedDB database, apart from the monitor's: the install secret, the operator's choices,
// the outbox of finished tasks, the log of what was sent, and what was received. Owned by the federation
// worker; the monitor's database is only read.
import { Dexie, type EntityTable } from 'dexie';
import type { FeedTask, StatsMessage } from '../../../../protocol/federation.ts';
import type { FedError } from './errors.ts';
import type { FederationSettings } from './settings.ts';

export const FEDERATION_DB = 'truwatch-federation';
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
}

/** A message that left, exactly as sent. */
export interface SentRecord {
  id?: number;
  atMs: number;
  subject: string;
  kind: 'task' | 'heartbeat';
  json: string;
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

export interface Counters {
  sent: number;
  refused: number;
  errors: number;
  lastError: FedError | null;
}

export interface Meta {
  secret: Uint8Array;
  /** The operator's own choices (what config.json said is not stored). */
  chosen: Partial<FederationSettings>;
  periods: Period[];
  counters: Counters;
  stats: { receivedMs: number; message: StatsMessage };
}

interface MetaRecord {
  key: keyof Meta;
  value: unknown;
}

export class FederationDb extends Dexie {
  meta!: EntityTable<MetaRecord, 'key'>;
  outbox!: EntityTable<OutboxRecord, 'executionId'>;
  sent!: EntityTable<SentRecord, 'id'>;
  feed!: EntityTable<FeedRecord, 'id'>;

  constructor(name = FEDERATION_DB) {
    super(name);
    this.version(1).stores({
      meta: 'key',
      outbox: 'executionId, finishedMs, [state+finishedMs]',
      sent: '++id, atMs',
      feed: '++id, receivedMs',
    });
  }

  async get<K extends keyof Meta>(key: K): Promise<Meta[K] | undefined> {
    return (await this.meta.get(key))?.value as Meta[K] | undefined;
  }

  async set<K extends keyof Meta>(key: K, value: Meta[K]): Promise<void> {
    await this.meta.put({ key, value });
  }

  /** Drops what is past its retention and keeps every table within its bound. */
  async prune(nowMs: number, feedRetentionDays: number): Promise<void> {
    await this.outbox
      .where('finishedMs')
      .below(nowMs - KEEP_MS)
      .delete();
    await this.sent
      .where('atMs')
      .below(nowMs - KEEP_MS)
      .delete();
    await this.feed
      .where('receivedMs')
      .below(nowMs - feedRetentionDays * DAY_MS)
      .delete();
    await trim(this.sent, MAX_SENT);
    await trim(this.feed, MAX_FEED);
  }
}

async function trim(table: EntityTable<{ id?: number }, 'id'>, max: number): Promise<void> {
  const extra = (await table.count()) - max;
  if (extra > 0) await table.orderBy('id').limit(extra).delete();
}

export const NO_COUNTERS: Counters = { sent: 0, refused: 0, errors: 0, lastError: null };
