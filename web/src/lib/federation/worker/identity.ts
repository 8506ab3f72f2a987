// The identity federation anonymizes under: a 32-byte secret, the node's from the paired sidecar or, unpaired,
// one made here with WebCrypto (secret-keeper.ts), kept in IndexedDB and never sent. Everything that leaves and
// could repeat is an HMAC-SHA-256 under it, truncated to 128 bits: a task's dedup key, and the heartbeat's
// pseudonym of the UTC day.

export const SECRET_BYTES = 32;

/** The secret could not be used (wrong size, unreadable): FED_005, fixed by "Reset identity". */
export class IdentityError extends Error {
  override name = 'IdentityError';
}

export function newSecret(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

export class Identity {
  private constructor(private readonly key: CryptoKey) {}

  static async from(secret: unknown): Promise<Identity> {
    if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES)
      throw new IdentityError(`the stored secret is not ${SECRET_BYTES} bytes`);
    const key = await crypto.subtle.importKey(
      'raw',
      new Uint8Array(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    return new Identity(key);
  }

  /** 32 lowercase hex digits: the first 128 bits of HMAC-SHA-256(secret, text). */
  async hmac(text: string): Promise<string> {
    const mac = await crypto.subtle.sign('HMAC', this.key, new TextEncoder().encode(text));
    let hex = '';
    for (const byte of new Uint8Array(mac, 0, 16)) hex += byte.toString(16).padStart(2, '0');
    return hex;
  }

  /** A task's dedup key: the same execution always gives the same key under one secret. */
  taskKey(executionId: string): Promise<string> {
    return this.hmac(`task:${executionId}`);
  }

  /** The heartbeat's pseudonym: one per UTC day. */
  nodePseudonym(nowMs: number): Promise<string> {
    return this.hmac(`node:${new Date(nowMs).toISOString().slice(0, 10)}`);
  }
}
