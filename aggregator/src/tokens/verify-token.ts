// Checks an RFC 9577 token of type 0x0002 as the aggregator will (docs/TRUST.md, "Counting only what is
// backed"): its challenge is our fixed one for the kind, its key one of the issuer's keys of that kind, and its
// authenticator an RSASSA-PSS signature (SHA-384, MGF1-SHA-384, 48-byte salt) of its first four fields.
// Whether the key is still accepted and whether the token was spent are the caller's to decide.
import { constants, createHash, verify, type KeyObject } from 'node:crypto';
import {
  decodeToken,
  encodeTokenChallenge,
  TOKEN_KINDS,
  type TokenKind,
} from '../../../protocol/private-token.ts';
import { publicKeyOfTokenKey, tokenKeyId } from './token-key.ts';

export type TokenVerifyFailure = 'malformed' | 'unknown_key' | 'wrong_challenge' | 'bad_signature';

/** An issuer key as the aggregator's configuration gives it. */
export interface VerifyKey {
  kind: TokenKind;
  /** The RFC 9578 token-key (the SPKI bytes of the directory's base64url `token-key`). */
  tokenKey: Uint8Array;
  /** The start of the key's week, in ms: not used here, handed back for the caller's expiry check. */
  notBefore: number;
}

export interface VerifiedToken {
  key: VerifyKey;
  tokenKeyId: Buffer;
  nonce: Buffer;
}

export type Verification = { ok: true; token: VerifiedToken } | { ok: false; reason: TokenVerifyFailure };

interface LoadedKey {
  key: VerifyKey;
  publicKey: KeyObject;
}

export class TokenVerifier {
  private readonly digests: Record<TokenKind, Buffer>;
  /** By kind, then by token_key_id in hex. */
  private readonly keys: Record<TokenKind, Map<string, LoadedKey>> = { presence: new Map(), task: new Map() };

  /** Throws when a key is not an RSA-2048 RSASSA-PSS SHA-384 token-key. */
  constructor(issuerName: string, keys: VerifyKey[]) {
    const digest = (kind: TokenKind) =>
      createHash('sha256').update(encodeTokenChallenge(issuerName, kind)).digest();
    this.digests = { presence: digest('presence'), task: digest('task') };
    for (const key of keys)
      this.keys[key.kind].set(tokenKeyId(key.tokenKey).toString('hex'), {
        key,
        publicKey: publicKeyOfTokenKey(key.tokenKey),
      });
  }

  /** Checks `bytes` as a token of `kind`. */
  verify(bytes: Uint8Array, kind: TokenKind): Verification {
    if (!TOKEN_KINDS.includes(kind)) return { ok: false, reason: 'wrong_challenge' };
    const token = decodeToken(bytes);
    if (!token) return { ok: false, reason: 'malformed' };
    if (!this.digests[kind].equals(token.challengeDigest)) return { ok: false, reason: 'wrong_challenge' };
    const keyId = Buffer.from(token.tokenKeyId);
    const loaded = this.keys[kind].get(keyId.toString('hex'));
    if (!loaded) return { ok: false, reason: 'unknown_key' };
    const good = verify(
      'sha384',
      token.input,
      { key: loaded.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
      token.authenticator,
    );
    if (!good) return { ok: false, reason: 'bad_signature' };
    return { ok: true, token: { key: loaded.key, tokenKeyId: keyId, nonce: Buffer.from(token.nonce) } };
  }
}

/** A token as messages carry it (unpadded base64url), or undefined when it is not base64url. */
export function tokenBytes(text: string): Uint8Array | undefined {
  return /^[A-Za-z0-9_-]*$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64url')) : undefined;
}
