// Which tokens were spent, and on what (docs/TRUST.md, "Counting only what is backed, exactly once"): one KV
// bucket per token key, a record per token input (its nonce: the key is the bucket's), written with `create`
// after the token's signature was checked and before anything of its message is counted or claimed. The value
// is what the token was spent on (a task key, a pseudonym and its day). A message delivered again finds its own
// value and goes on, so instances and restarts agree; the same token on anything else is a double spend. A full
// bucket refuses new records (discard "new"): it stops counting rather than forget spent tokens and let them
// in again. A bucket is bounded by its number of records, not bytes: nats-server sets a stream's max_bytes aside
// in the account's storage when it is made, and a key's bucket is kept for five weeks.
//
// Buckets are made ahead, by prepare(), never by a spend: a spend that came after its key's bucket was deleted
// must not find an empty new one and count old tokens again.
import { DiscardPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { RequestError, type NatsConnection } from '@nats-io/nats-core';
import { ACCEPTED_AFTER_MS, WEEKS_AHEAD } from '../issuer/keys.ts';
import { DAY_MS, WEEK_MS } from '../issuer/weeks.ts';
import { isWrongLastSequence } from '../kv-errors.ts';

export const SPENT_BUCKET_PREFIX = 'truebit-spent-';
/** A value of at most 128 characters, with the record's subject and headers. */
const MAX_VALUE_BYTES = 384;
/**
 * How long a record is kept after its write. A token is spent after its key's week began, and the key is
 * accepted until ACCEPTED_AFTER_MS past the week's end: the record outlives the key's acceptance. (The bucket of
 * a key that has ended is deleted whole besides, by retire().)
 */
const SPENT_TTL_MS = WEEK_MS + ACCEPTED_AFTER_MS + DAY_MS;
/**
 * The longest a key's bucket can be needed: made at most WEEKS_AHEAD weeks before the key's week (the issuer
 * makes keys no earlier), and kept until its acceptance ends, with a week to spare for clocks and late files. An
 * older bucket whose key is no longer in the keys file belongs to a key that has ended (retireUnknown()).
 */
export const MAX_BUCKET_LIFE_MS = (WEEKS_AHEAD + 1) * WEEK_MS + ACCEPTED_AFTER_MS + WEEK_MS;

/** `no_store`: the key's bucket is gone (deleted while its key was still accepted): nothing can be counted. */
export type Spend = 'new' | 'mine' | 'double_spend' | 'store_full' | 'no_store';

/** What a token is spent on: the value recorded, and which recorded values count as the same thing. */
export interface SpendOn {
  value: string;
  isMine(recorded: string): boolean;
  /** A value that makes the record this one's too (written over it at its revision), if it may. */
  extend?(recorded: string): string | undefined;
}

/** The bucket of a token key, named by the first 128 bits of its key id. */
export function spentBucketName(keyIdHex: string): string {
  return SPENT_BUCKET_PREFIX + keyIdHex.slice(0, 32);
}

export class SpentTokens {
  private readonly kvm: Kvm;
  /** The buckets of the keys prepared or found, by key id. Bounded by the keys kept (forget()). */
  private readonly buckets = new Map<string, Promise<KV>>();

  constructor(
    nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: { replicas: number; maxTokens: number },
  ) {
    this.kvm = new Kvm(nc);
  }

  /**
   * Records the token `nonceHex` of key `keyIdHex` as spent on `on`: 'new' the first time, 'mine' when it was
   * spent on the same thing before (a message delivered again, an honest re-send). Throws when the key has no
   * bucket (not prepared yet, or deleted): the message is then read again later.
   */
  async spend(keyIdHex: string, nonceHex: string, on: SpendOn): Promise<Spend> {
    let kv: KV;
    try {
      kv = await this.bucket(keyIdHex);
    } catch (error) {
      if (error instanceof NoBucket) return 'no_store';
      throw error;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await kv.create(nonceHex, on.value);
        return 'new';
      } catch (error) {
        if (isFull(error)) return 'store_full';
        if (isWrongLastSequence(error)) break;
        // A bucket another instance made a moment ago may not take writes yet (nats-server 2.9: "no
        // responders" right after two instances created it at once); one deleted since answers so for good.
        if (/stream not found/i.test(String(error))) return this.gone(keyIdHex, error);
        if (!notListening(error)) throw error;
        if (attempt >= 10) return this.gone(keyIdHex, error);
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
    for (let attempt = 1; ; attempt++) {
      const entry = await kv.get(nonceHex);
      // The create failed because the record exists: reading nothing means the read lagged; decide later.
      if (entry?.operation !== 'PUT') throw new Error(`spent token ${nonceHex} exists but could not be read`);
      const recorded = entry.string();
      if (on.isMine(recorded)) return 'mine';
      const extended = on.extend?.(recorded);
      if (extended === undefined) return 'double_spend';
      try {
        await kv.update(nonceHex, extended, entry.revision);
        return 'mine';
      } catch (error) {
        // Another message of the token wrote first: read its record again.
        if (!isWrongLastSequence(error) || attempt >= 10) throw error;
      }
    }
  }

  /** After writes that found no stream: 'no_store' when the bucket is gone, else the error. */
  private async gone(keyIdHex: string, error: unknown): Promise<Spend> {
    this.buckets.delete(keyIdHex);
    try {
      await this.existing(keyIdHex);
    } catch (missing) {
      if (missing instanceof NoBucket) return 'no_store';
      throw missing;
    }
    throw error;
  }

  /** Makes the bucket of a key before its first token comes (idempotent: instances may all do it). */
  async prepare(keyIdHex: string): Promise<void> {
    const made = this.create(keyIdHex);
    this.buckets.set(keyIdHex, made);
    made.catch(() => this.buckets.delete(keyIdHex));
    await made;
  }

  /** Deletes the bucket of a key no longer accepted: its tokens are refused by their key from now on. */
  async retire(keyIdHex: string): Promise<void> {
    this.buckets.delete(keyIdHex);
    await this.deleteStream(spentBucketName(keyIdHex));
  }

  /**
   * Deletes the buckets older than MAX_BUCKET_LIFE_MS whose key is not among `known` (key ids): their key ended
   * while no instance ran to retire it, and left the keys file since. Returns how many.
   */
  async retireUnknown(known: readonly string[], now: number): Promise<number> {
    const names = new Set(known.map(spentBucketName));
    let deleted = 0;
    for await (const info of this.jsm.streams.list()) {
      const name = info.config.name.replace(/^KV_/, '');
      if (!name.startsWith(SPENT_BUCKET_PREFIX) || names.has(name)) continue;
      if (now - Date.parse(info.created) < MAX_BUCKET_LIFE_MS) continue;
      await this.deleteStream(name);
      deleted++;
    }
    return deleted;
  }

  /** Forgets the handles of the keys not among `known`. */
  forget(known: readonly string[]): void {
    for (const id of this.buckets.keys()) if (!known.includes(id)) this.buckets.delete(id);
  }

  /** The key's bucket, prepared or found; never made here. */
  private bucket(keyIdHex: string): Promise<KV> {
    let kv = this.buckets.get(keyIdHex);
    if (!kv) {
      kv = this.existing(keyIdHex);
      kv.catch(() => this.buckets.delete(keyIdHex));
      this.buckets.set(keyIdHex, kv);
    }
    return kv;
  }

  private async existing(keyIdHex: string): Promise<KV> {
    const name = spentBucketName(keyIdHex);
    try {
      await this.jsm.streams.info(`KV_${name}`);
    } catch (error) {
      if (/stream not found/i.test(String(error))) throw new NoBucket(keyIdHex);
      throw error;
    }
    return this.kvm.open(name, { allow_direct: false });
  }

  private async create(keyIdHex: string): Promise<KV> {
    const name = spentBucketName(keyIdHex);
    const stream = `KV_${name}`;
    let kv: KV;
    try {
      kv = await this.kvm.create(name, {
        ttl: SPENT_TTL_MS,
        maxValueSize: MAX_VALUE_BYTES,
        replicas: this.options.replicas,
        history: 1,
        // Reads go to the stream leader: a lagging replica's "not spent" would let a token in twice.
        allow_direct: false,
      });
    } catch (error) {
      // Another instance made it at the same moment (nats-server then says the subjects overlap): use it.
      await this.jsm.streams.info(stream).catch(() => Promise.reject(error));
      kv = await this.kvm.open(name, { allow_direct: false });
    }
    const { config } = await this.jsm.streams.info(stream);
    if (config.discard !== DiscardPolicy.New || config.max_msgs !== this.options.maxTokens)
      await this.jsm.streams.update(stream, {
        ...config,
        discard: DiscardPolicy.New,
        max_msgs: this.options.maxTokens,
      });
    return kv;
  }

  private async deleteStream(bucket: string): Promise<void> {
    try {
      await this.jsm.streams.delete(`KV_${bucket}`);
    } catch (error) {
      if (!/stream not found/i.test(String(error))) throw error;
    }
  }
}

/**
 * A write that found no stream listening (the library reports it as "jetstream is not enabled", with the
 * request's "no responders" as its cause).
 */
function notListening(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause)
    if (e instanceof RequestError && e.isNoResponders()) return true;
  return false;
}

/** A write refused because the bucket is full (its max_msgs, discard "new"), or the account's storage is. */
function isFull(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    /maximum (messages|bytes) exceeded|insufficient resources|resources exceeded/i.test(error.message)
  );
}

/** The key's bucket does not exist: not made yet, or deleted. */
class NoBucket extends Error {
  constructor(keyIdHex: string) {
    super(`no spent-token bucket for key ${keyIdHex.slice(0, 16)}… (not made yet, or deleted)`);
  }
}
