// The Privacy Pass wire formats the federation uses (docs/TRUST.md): token type 0x0002 (blind RSA 2048,
// RFC 9578), the fixed TokenChallenge of each kind of token (RFC 9577 §2.1), and the layouts of a token and a
// token request. Plain Uint8Array code: the browser builds the same bytes as the issuer and the aggregator.

export const TOKEN_TYPE_BLIND_RSA = 0x0002;

/** What a token backs: a pseudonym's day (presence) or one task message. Each kind has its own key. */
export type TokenKind = 'presence' | 'task';
export const TOKEN_KINDS: readonly TokenKind[] = ['presence', 'task'];

/** The challenge's origin_info of each kind (docs/TRUST.md, "The challenge"). */
export const ORIGIN_INFO: Readonly<Record<TokenKind, string>> = {
  presence: 'truwatch presence',
  task: 'truwatch task',
};

/** A key signs for the week starting at its `not-before` (Monday 00:00 UTC). */
export const KEY_WEEK_MS = 7 * 86_400_000;
/** How long after its week a key's tokens are accepted (a message may come 7 days late). */
export const ACCEPTED_AFTER_MS = 8 * 86_400_000;

/** The start of the key week holding `ms`: weeks start on Monday 00:00 UTC (1970-01-05 was the first). */
export function keyWeekStart(ms: number): number {
  const firstMonday = 4 * 86_400_000;
  return Math.floor((ms - firstMonday) / KEY_WEEK_MS) * KEY_WEEK_MS + firstMonday;
}

/**
 * A key pin (`FEDERATION_ISSUER_KEY_PINS`, docs/TRUST.md "Key consistency"): the Monday (UTC) its key's week
 * starts and the key's token_key_id in lowercase hex, `2026-11-30:<64 hex digits>`. A pin holds for its week
 * only, so a key cannot be shown as another week's.
 */
export const KEY_PIN_PATTERN = /^(\d{4}-\d\d-\d\d):([0-9a-f]{64})$/;

/** The pin of the key whose week starts at `weekStartMs` and whose token_key_id is `keyIdHex`. */
export function keyPin(weekStartMs: number, keyIdHex: string): string {
  return `${new Date(weekStartMs).toISOString().slice(0, 10)}:${keyIdHex.toLowerCase()}`;
}

/** A pin's week (its Monday, epoch ms) and key id, or undefined when the text is not one (or not a Monday). */
export function parseKeyPin(text: string): { weekStartMs: number; keyId: string } | undefined {
  const match = KEY_PIN_PATTERN.exec(text);
  if (!match) return undefined;
  const weekStartMs = Date.parse(`${match[1]}T00:00:00Z`);
  if (!Number.isFinite(weekStartMs) || keyPin(weekStartMs, match[2]!) !== text) return undefined;
  if (keyWeekStart(weekStartMs) !== weekStartMs) return undefined;
  return { weekStartMs, keyId: match[2]! };
}

/** Until when (exclusive, epoch ms) the aggregator accepts tokens of the key whose week starts at `notBeforeMs`. */
export function keyAcceptedUntil(notBeforeMs: number): number {
  return notBeforeMs + KEY_WEEK_MS + ACCEPTED_AFTER_MS;
}

export const ISSUER_DIRECTORY_PATH = '/.well-known/private-token-issuer-directory';
export const TOKEN_REQUEST_PATH = '/token-request';
export const MEDIA_TYPE_TOKEN_REQUEST = 'application/private-token-request';
export const MEDIA_TYPE_TOKEN_RESPONSE = 'application/private-token-response';

/** One entry of the issuer directory's `token-keys` (RFC 9578 §4), with the kind it signs for. */
export interface TokenKeyEntry {
  'token-type': number;
  /** base64url of the key's SubjectPublicKeyInfo (RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48). */
  'token-key': string;
  /** Seconds since the epoch: the Monday 00:00 UTC its week starts. */
  'not-before': number;
  /** Ours, not the RFC's: which kind of token the key signs. Clients that do not know it ignore it. */
  'truwatch-kind': TokenKind;
}

export interface IssuerDirectory {
  /** Where token requests go; the app sends them only to the issuer URL's own origin. */
  'issuer-request-uri': string;
  'token-keys': TokenKeyEntry[];
  /**
   * Ours, not the RFC's: the issuer_name of its tokens' challenge. The app checks it against the name it puts
   * in the challenge and refuses to fetch on a mismatch; it never takes the name from here (a host could give
   * each client a name of its own).
   */
  'truwatch-issuer-name'?: string;
}

/** RSA-2048 modulus bytes (Nk): a blinded message, a blind signature, an authenticator. */
export const NK = 256;
export const NONCE_LENGTH = 32;
export const DIGEST_LENGTH = 32;
/** token_key_id: SHA-256 of the token key (Nid). */
export const KEY_ID_LENGTH = 32;
/** token_type, nonce, challenge_digest, token_key_id: what the authenticator signs. */
export const TOKEN_INPUT_LENGTH = 2 + NONCE_LENGTH + DIGEST_LENGTH + KEY_ID_LENGTH;
export const TOKEN_LENGTH = TOKEN_INPUT_LENGTH + NK;
/** token_type, truncated_token_key_id, blinded_msg. */
export const TOKEN_REQUEST_LENGTH = 2 + 1 + NK;

const utf8 = new TextEncoder();

/**
 * The TokenChallenge (RFC 9577 §2.1) every token of a kind carries the SHA-256 of: our issuer's name, an empty
 * redemption context (tokens are fetched ahead, RFC 9577 §2.1.1.1) and the kind's origin_info.
 */
export function encodeTokenChallenge(issuerName: string, kind: TokenKind): Uint8Array {
  const name = utf8.encode(issuerName);
  const origin = utf8.encode(ORIGIN_INFO[kind]);
  if (name.length < 1 || name.length > 0xffff) throw new Error('issuer name must be 1 to 65535 bytes');
  const out = new Uint8Array(2 + 2 + name.length + 1 + 2 + origin.length);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint16(at, TOKEN_TYPE_BLIND_RSA);
  view.setUint16((at += 2), name.length);
  out.set(name, (at += 2));
  view.setUint8((at += name.length), 0);
  view.setUint16((at += 1), origin.length);
  out.set(origin, at + 2);
  return out;
}

export interface DecodedToken {
  tokenType: number;
  nonce: Uint8Array;
  challengeDigest: Uint8Array;
  tokenKeyId: Uint8Array;
  authenticator: Uint8Array;
  /** The first four fields, as signed. */
  input: Uint8Array;
}

/** A token (RFC 9577 §2.2) of type 0x0002, or undefined when the bytes are not one. */
export function decodeToken(bytes: Uint8Array): DecodedToken | undefined {
  if (bytes.length !== TOKEN_LENGTH) return undefined;
  const tokenType = (bytes[0]! << 8) | bytes[1]!;
  if (tokenType !== TOKEN_TYPE_BLIND_RSA) return undefined;
  let at = 2;
  const take = (length: number) => bytes.subarray(at, (at += length));
  return {
    tokenType,
    nonce: take(NONCE_LENGTH),
    challengeDigest: take(DIGEST_LENGTH),
    tokenKeyId: take(KEY_ID_LENGTH),
    authenticator: take(NK),
    input: bytes.subarray(0, TOKEN_INPUT_LENGTH),
  };
}

/** A token as messages carry it (unpadded base64url), or undefined when the text is not one. */
export function decodeTokenText(text: string): DecodedToken | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const binary = atob(
    text
      .replaceAll('-', '+')
      .replaceAll('_', '/')
      .padEnd(Math.ceil(text.length / 4) * 4, '='),
  );
  return decodeToken(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export interface DecodedTokenRequest {
  tokenType: number;
  /** The last byte of the token_key_id the client blinded for. */
  truncatedKeyId: number;
  blindedMsg: Uint8Array;
}

/** A TokenRequest (RFC 9578 §5.1), or undefined when the bytes are not one of type 0x0002. */
export function decodeTokenRequest(bytes: Uint8Array): DecodedTokenRequest | undefined {
  if (bytes.length !== TOKEN_REQUEST_LENGTH) return undefined;
  const tokenType = (bytes[0]! << 8) | bytes[1]!;
  if (tokenType !== TOKEN_TYPE_BLIND_RSA) return undefined;
  return { tokenType, truncatedKeyId: bytes[2]!, blindedMsg: bytes.subarray(3) };
}
