import { generateKeyPairSync, type RSAPSSKeyPairKeyObjectOptions } from 'node:crypto';
import { util } from '@cloudflare/privacypass-ts';
import { describe, expect, it } from 'vitest';
import { mintKey } from '../test/support/token-mint.ts';
import { TOKEN_KEY_LENGTH, tokenKeyRefusal } from './token-key-params.ts';

/** The library's RSASSA-PSS (SHA-384, salt 48) SPKI of a new RSA key. */
const libraryTokenKey = (modulusLength: number, publicExponent = 65537) =>
  util.convertEncToRSASSAPSS(
    new Uint8Array(
      generateKeyPairSync('rsa', { modulusLength, publicExponent }).publicKey.export({
        type: 'spki',
        format: 'der',
      }),
    ),
  );
const edited = (bytes: Uint8Array, at: number, value: number) => {
  const copy = new Uint8Array(bytes);
  copy[at] = value;
  return copy;
};

describe('token-key parameters', () => {
  it('accepts the issuer’s token-keys and the library’s encoding of RSA-2048 keys', () => {
    for (let i = 0; i < 4; i++) {
      const key = mintKey(i % 2 ? 'task' : 'presence').tokenKey;
      expect(key.length).toBe(TOKEN_KEY_LENGTH);
      expect(tokenKeyRefusal(new Uint8Array(key))).toBeUndefined();
      expect(tokenKeyRefusal(libraryTokenKey(2048))).toBeUndefined();
    }
  });

  it('refuses other sizes, exponents, algorithms and encodings', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const openssl = generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha384',
      mgf1HashAlgorithm: 'sha384',
      saltLength: 48,
      // @types/node 20 types saltLength as a string; node takes the number
    } as unknown as RSAPSSKeyPairKeyObjectOptions).publicKey;
    for (const key of [
      new Uint8Array(rsa.export({ type: 'spki', format: 'der' })), // rsaEncryption
      new Uint8Array(openssl.export({ type: 'spki', format: 'der' })), // NULL hash parameters, 346 bytes
      libraryTokenKey(1024),
      libraryTokenKey(3072),
      libraryTokenKey(2048, 3),
      new Uint8Array(0),
    ])
      expect(tokenKeyRefusal(key)).toMatch(/token key/);
  });

  it('refuses any change of the parameters’ bytes, the modulus’s size or the exponent', () => {
    const key = new Uint8Array(mintKey('task').tokenKey);
    const modulusAt = key.length - 5 - 256;
    expect(tokenKeyRefusal(edited(key, 66, 32))).toMatch(/48-byte salt/); // saltLength 48 → 32
    expect(tokenKeyRefusal(edited(key, 33, 1))).toMatch(/SHA-384/); // sha384 → sha256 (the hash's OID)
    expect(tokenKeyRefusal(edited(key, 16, 1))).toMatch(/RSASSA-PSS/); // id-RSASSA-PSS → rsaEncryption
    expect(tokenKeyRefusal(edited(key, modulusAt, 0x7f))).toMatch(/not 2048 bits/);
    expect(tokenKeyRefusal(edited(key, modulusAt + 255, 0x10))).toMatch(/even/);
    expect(tokenKeyRefusal(edited(key, key.length - 1, 3))).toMatch(/65537/);
    expect(tokenKeyRefusal(new Uint8Array([...key, 0]))).toMatch(/342 bytes/);
    expect(tokenKeyRefusal(key.subarray(0, -1))).toMatch(/342 bytes/);
  });
});
