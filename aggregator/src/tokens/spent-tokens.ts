// Which tokens were spent, and on what (docs/TRUST.md, "Counting only what is backed, exactly once"): one KV
// bucket per token key, a record per token input (its nonce: the key is the bucket's), written with `create`
// only after the token's signature was checked. The value is what the token was spent on: a task key, or a
// pseudonym's day. A message delivered again finds its own value and goes on, so instances and restarts agree;
// the same token on anything else is a double spend. A full bucket refuses new records (discard "new"): it
// stops counting rather than forget spent tokens and let them in again.
import { DiscardPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { RequestError, type NatsConnection } from '@nats-io/nats-core';
import { ACCEPTED_AFTER_MS } from '../issuer/keys.ts';
import { DAY_MS, WEEK_MS } from '../issuer/weeks.ts';
import { isWrongLastSequence } from '../kv-errors.ts';

export const SPENT_BUCKET_PREFIX = 'truebit-spent-';
/** A nonce in hex (64) and a binding of at most 64 characters, with the record's overhead. */
const MAX_VALUE_BYTES = 256;
/**
 * How long a record is kept after its write. A token is spent after its key's week began, and the key is
 * accepted until ACCEPTED_AFTER_MS past the week's end: the record outlives the key's acceptance. (The bucket of
 * a key that has ended is deleted whole besides, by retire().)
 */
const SPENT_TTL_MS = WEEK_MS + ACCEPTED_AFTER_MS + DAY_MS;

export type Spend = 'new' | 'mine' | 'double_spend' | 'store_full';

/** The bucket of a token key, named by the first 128 bits of its key id. */
export function spentBucketName(keyIdHex: string): string {
  return SPENT_BUCKET_PREFIX + keyIdHex.slice(0, 32);
}

export class SpentTokens {
  private readonly kvm: Kvm;
  private readonly buckets = new Map<string, Promise<KV>>();

  constructor(
    nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: { replicas: number; maxBytes: number },
  ) {
    this.kvm = new Kvm(nc);
  }

  /**
   * Records the token `nonceHex` of key `keyIdHex` as spent on `binding`: 'new' the first time, 'mine' when it
   * was spent on the same binding before (a message delivered again, an honest re-send).
   */
  async spend(keyIdHex: string, nonceHex: string, binding: string): Promise<Spend> {
    const kv = await this.bucket(keyIdHex);
    for (let attempt = 1; ; attempt++) {
      try {
        await kv.create(nonceHex, binding);
        return 'new';
      } catch (error) {
        if (isFull(error)) return 'store_full';
        if (isWrongLastSequence(error)) break;
        // A bucket another instance made a moment ago may not take writes yet (nats-server 2.9: "no
        // responders" right after two instances created it at once).
        if (!notListening(error) || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
    const entry = await kv.get(nonceHex);
    // The create failed because the record exists: reading nothing means the read lagged; decide later.
    if (entry?.operation !== 'PUT') throw new Error(`spent token ${nonceHex} exists but could not be read`);
    return entry.string() === binding ? 'mine' : 'double_spend';
  }

  /** Makes the bucket of a key before its first token comes (a spend makes it too, if it must). */
  async prepare(keyIdHex: string): Promise<void> {
    await this.bucket(keyIdHex);
  }

  /** Deletes the bucket of a key no longer accepted: its tokens are refused by their key from now on. */
  async retire(keyIdHex: string): Promise<void> {
    this.buckets.delete(keyIdHex);
    try {
      await this.jsm.streams.delete(`KV_${spentBucketName(keyIdHex)}`);
    } catch (error) {
      if (!/stream not found/i.test(String(error))) throw error;
    }
  }

  private bucket(keyIdHex: string): Promise<KV> {
    let kv = this.buckets.get(keyIdHex);
    if (!kv) {
      kv = this.open(keyIdHex);
      kv.catch(() => this.buckets.delete(keyIdHex));
      this.buckets.set(keyIdHex, kv);
    }
    return kv;
  }

  private async open(keyIdHex: string): Promise<KV> {
    const name = spentBucketName(keyIdHex);
    const kv = await this.kvm.create(name, {
      ttl: SPENT_TTL_MS,
      max_bytes: this.options.maxBytes,
      maxValueSize: MAX_VALUE_BYTES,
      replicas: this.options.replicas,
      history: 1,
      // Reads go to the stream leader: a lagging replica's "not spent" would let a token in twice.
      allow_direct: false,
    });
    const stream = `KV_${name}`;
    const { config } = await this.jsm.streams.info(stream);
    if (config.discard !== DiscardPolicy.New || config.max_bytes !== this.options.maxBytes)
      await this.jsm.streams.update(stream, {
        ...config,
        discard: DiscardPolicy.New,
        max_bytes: this.options.maxBytes,
      });
    return kv;
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

/** A write refused because the bucket is full (its stream's max_bytes, discard "new"). */
function isFull(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError && /maximum bytes exceeded|resources exceeded/i.test(error.message)
  );
}
