import { TokenChallenge } from '@cloudflare/privacypass-ts';
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  decodeTokenRequest,
  encodeTokenChallenge,
  keyPin,
  keyWeekStart,
  ORIGIN_INFO,
  parseKeyPin,
  TOKEN_KINDS,
  TOKEN_LENGTH,
  TOKEN_REQUEST_LENGTH,
} from './private-token.ts';

describe('private-token', () => {
  it('encodes each kind’s TokenChallenge as the Privacy Pass library does', () => {
    for (const kind of TOKEN_KINDS) {
      const library = new TokenChallenge(0x0002, 'issuer.example', new Uint8Array(0), [ORIGIN_INFO[kind]]);
      expect(Buffer.from(encodeTokenChallenge('issuer.example', kind))).toEqual(
        Buffer.from(library.serialize()),
      );
    }
    expect(encodeTokenChallenge('i', 'presence')).not.toEqual(encodeTokenChallenge('i', 'task'));
  });

  it('decodes a token into its fields, and refuses other lengths and types', () => {
    const bytes = new Uint8Array(TOKEN_LENGTH).map((_, i) => i);
    bytes[0] = 0;
    bytes[1] = 2;
    const token = decodeToken(bytes)!;
    expect(token.nonce[0]).toBe(2);
    expect(token.challengeDigest[0]).toBe(34);
    expect(token.tokenKeyId[0]).toBe(66);
    expect(token.authenticator.length).toBe(256);
    expect(token.input.length).toBe(98);
    expect(decodeToken(bytes.subarray(1))).toBeUndefined();
    bytes[1] = 1;
    expect(decodeToken(bytes)).toBeUndefined();
  });

  it('decodes a token request, and refuses other lengths and types', () => {
    const bytes = new Uint8Array(TOKEN_REQUEST_LENGTH);
    bytes[1] = 2;
    bytes[2] = 77;
    expect(decodeTokenRequest(bytes)).toMatchObject({ tokenType: 2, truncatedKeyId: 77 });
    expect(decodeTokenRequest(bytes)!.blindedMsg.length).toBe(256);
    expect(decodeTokenRequest(new Uint8Array(TOKEN_REQUEST_LENGTH + 1))).toBeUndefined();
    bytes[0] = 0xda;
    expect(decodeTokenRequest(bytes)).toBeUndefined();
  });
});

describe('key pins', () => {
  const id = 'c0'.repeat(32);
  const monday = Date.parse('2026-11-30T00:00:00Z');

  it('name a key and the Monday its week starts', () => {
    expect(keyPin(monday, id.toUpperCase())).toBe(`2026-11-30:${id}`);
    expect(parseKeyPin(`2026-11-30:${id}`)).toEqual({ weekStartMs: monday, keyId: id });
    expect(keyWeekStart(monday + 3 * 86_400_000)).toBe(monday);
  });

  it('are refused without a week, on another day than a Monday, or malformed', () => {
    for (const text of [
      id,
      `2026-12-01:${id}`,
      `2026-02-30:${id}`,
      `2026-11-30:${id.toUpperCase()}`,
      `2026-11-30:${id}0`,
      ` 2026-11-30:${id}`,
      `2026-11-30:${id}:task`,
    ])
      expect(parseKeyPin(text), text).toBeUndefined();
  });
});
