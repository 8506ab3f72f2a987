import { generateKeyPairSync, type RSAPSSKeyPairKeyObjectOptions } from 'node:crypto';
import { util } from '@cloudflare/privacypass-ts';
import { describe, expect, it } from 'vitest';
import { publicKeyOfTokenKey, tokenKeyId, tokenKeyOf } from './token-key.ts';

const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).publicKey;

describe('token-key', () => {
  const publicKey = rsa(2048);
  const tokenKey = tokenKeyOf(publicKey);

  it('is the SPKI the Privacy Pass library makes of the same key (RSASSA-PSS, SHA-384, salt 48)', () => {
    const library = util.convertEncToRSASSAPSS(
      new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    );
    expect(tokenKey).toEqual(Buffer.from(library));
    expect(tokenKey.length).toBe(342);
    expect(tokenKeyId(tokenKey).length).toBe(32);
  });

  it('reads back the same RSA key', () => {
    const back = publicKeyOfTokenKey(tokenKey);
    expect(back.export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
  });

  it('refuses keys of other sizes or parameters, and OpenSSL’s own RSA-PSS encoding', () => {
    expect(() => publicKeyOfTokenKey(tokenKeyOf(rsa(1024)))).toThrow(/token key is not/);
    expect(() => publicKeyOfTokenKey(publicKey.export({ type: 'spki', format: 'der' }))).toThrow();
    const openssl = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha384',
      mgf1HashAlgorithm: 'sha384',
      saltLength: 48,
      // @types/node 20 types saltLength as a string; node takes the number
    } as unknown as RSAPSSKeyPairKeyObjectOptions).publicKey.export({ type: 'spki', format: 'der' });
    // OpenSSL writes NULL parameters in the hash identifiers: 4 more bytes, another key id.
    expect(openssl.length).toBe(346);
    expect(() => publicKeyOfTokenKey(openssl)).toThrow();
    expect(() => publicKeyOfTokenKey(new Uint8Array(10))).toThrow();
  });
});
