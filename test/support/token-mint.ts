// Tokens for the aggregator's tests, made without the issuer's blind protocol: a token of type 0x0002 is an
// RSASSA-PSS signature (SHA-384, salt 48) over its input, so a key of the test's own signs the input directly,
// and the aggregator's real verification checks it (fast: no client blinding, no HTTP). The issuer's protocol,
// with the real client library, is tested on its own and with the aggregator (issued-tokens.test.ts). Keys are
// the issuer's kind of key, written to a keys file by the issuer's own writer.
import { constants, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeTokenChallenge, TOKEN_TYPE_BLIND_RSA, type TokenKind } from '../../protocol/private-token.ts';
import { tokenKeyId, tokenKeyOf } from '../../aggregator/src/tokens/token-key.ts';
import { weekStart } from '../../aggregator/src/issuer/weeks.ts';
import type { IssuerKey } from '../../aggregator/src/issuer/keys.ts';
export { writeKeysFile } from '../../aggregator/src/issuer/keys-file.ts';

export const TEST_ISSUER = 'issuer.test.truwatch';

export type MintKey = IssuerKey & { privateKey: KeyObject };

/** A key of `kind` for the week holding `ms` (this week by default). */
export function mintKey(kind: TokenKind, ms = Date.now()): MintKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tokenKey = tokenKeyOf(publicKey);
  return {
    kind,
    weekStart: weekStart(ms),
    publicKey,
    privateKey,
    tokenKey,
    tokenKeyId: tokenKeyId(tokenKey),
  };
}

/**
 * A token of `key`'s kind, as a message carries it (unpadded base64url). `issuer` and `kind` change the
 * challenge it is bound to (to make wrong ones).
 */
export function mintToken(
  key: MintKey,
  options: { issuer?: string; kind?: TokenKind; nonce?: Buffer } = {},
): string {
  const challenge = encodeTokenChallenge(options.issuer ?? TEST_ISSUER, options.kind ?? key.kind);
  const input = Buffer.concat([
    Buffer.from([0, TOKEN_TYPE_BLIND_RSA]),
    options.nonce ?? randomBytes(32),
    createHash('sha256').update(challenge).digest(),
    key.tokenKeyId,
  ]);
  const authenticator = sign('sha384', input, {
    key: key.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 48,
  });
  return Buffer.concat([input, authenticator]).toString('base64url');
}
