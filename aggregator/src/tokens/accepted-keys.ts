// The token keys the aggregator accepts, read from a file in the issuer directory's format (RFC 9578 §4 with
// our `truwatch-kind`) that lists every key still accepted, past weeks' included: the issuer writes it beside
// its keys (its directory lists only the keys it signs under now and soon). A key is accepted from its week's
// start until ACCEPTED_AFTER_MS after the week ends (a message may come 7 days late).
import { readFileSync, statSync } from 'node:fs';
import * as v from 'valibot';
import { keyAcceptedUntil, TOKEN_KINDS, TOKEN_TYPE_BLIND_RSA } from '../../../protocol/private-token.ts';
import { TokenVerifier, type VerifyKey } from './verify-token.ts';

export { keyAcceptedUntil };

/** Whether tokens under a key whose week starts at `notBefore` count for a message that arrived at `ms`. */
export function keyAccepted(notBefore: number, ms: number): boolean {
  return ms >= notBefore && ms < keyAcceptedUntil(notBefore);
}

const KeysFileSchema = v.object({
  'token-keys': v.pipe(
    v.array(
      v.object({
        'token-type': v.literal(TOKEN_TYPE_BLIND_RSA),
        'token-key': v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+=*$/)),
        'not-before': v.pipe(v.number(), v.integer(), v.minValue(0)),
        'truwatch-kind': v.picklist(TOKEN_KINDS),
      }),
    ),
    v.maxLength(1000),
  ),
});

/** The keys of `file` (`not-before` in seconds there, in ms here); throws with the file's name and what is wrong. */
export function readAcceptedKeys(file: string): VerifyKey[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`token keys ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = v.safeParse(KeysFileSchema, json);
  if (!parsed.success) throw new Error(`token keys ${file}: ${v.summarize(parsed.issues)}`);
  return parsed.output['token-keys'].map((entry) => ({
    kind: entry['truwatch-kind'],
    tokenKey: Buffer.from(entry['token-key'], 'base64url'),
    notBefore: entry['not-before'] * 1000,
  }));
}

/**
 * A verifier of the file's keys, made again when the file changes (looked at most every `everyMs`): the issuer
 * adds the coming weeks' keys ahead. A file that cannot be read keeps the keys read before; `onError` says why.
 */
export class KeysFile {
  private verifier: TokenVerifier;
  private keys: VerifyKey[];
  private mtimeMs: number;
  private checkedAt = 0;

  constructor(
    private readonly file: string,
    private readonly issuerName: string,
    private readonly everyMs: number,
    private readonly onError: (error: Error) => void,
  ) {
    this.mtimeMs = statSync(file).mtimeMs;
    this.keys = readAcceptedKeys(file);
    this.verifier = this.verifierOf(this.keys);
  }

  private verifierOf(keys: VerifyKey[]): TokenVerifier {
    try {
      return new TokenVerifier(this.issuerName, keys);
    } catch (error) {
      throw new Error(`token keys ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  current(now: number): { verifier: TokenVerifier; keys: readonly VerifyKey[] } {
    if (now - this.checkedAt >= this.everyMs) {
      this.checkedAt = now;
      try {
        const mtimeMs = statSync(this.file).mtimeMs;
        if (mtimeMs !== this.mtimeMs) {
          const keys = readAcceptedKeys(this.file);
          this.verifier = this.verifierOf(keys);
          this.keys = keys;
          this.mtimeMs = mtimeMs;
        }
      } catch (error) {
        this.onError(error as Error);
      }
    }
    return { verifier: this.verifier, keys: this.keys };
  }
}
