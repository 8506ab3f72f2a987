import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blindSign, BlindSignError } from './blind-sign.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const n = BigInt('0x' + Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex'));
const e = 65537n;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  for (let b = base % modulus, x = exponent; x > 0n; x >>= 1n, b = (b * b) % modulus)
    if (x & 1n) result = (result * b) % modulus;
  return result;
}

const big = (bytes: Uint8Array) => BigInt('0x' + Buffer.from(bytes).toString('hex'));
const bytesOf = (value: bigint) => Buffer.from(value.toString(16).padStart(512, '0'), 'hex');

function reason(message: Uint8Array): string | undefined {
  try {
    blindSign(privateKey, publicKey, message);
    return undefined;
  } catch (error) {
    return error instanceof BlindSignError ? error.reason : String(error);
  }
}

describe('blindSign', () => {
  it('returns s with s^e mod n == m, 256 bytes, leading zeros kept', () => {
    for (const m of [bytesOf(n - 1n), bytesOf(12345n), Buffer.concat([Buffer.alloc(1), randomBytes(255)])]) {
      const s = blindSign(privateKey, publicKey, m);
      expect(s.length).toBe(256);
      expect(modPow(big(s), e, n)).toBe(big(m));
    }
  });

  it('refuses a blinded message that is not 256 bytes, or not below the modulus', () => {
    expect(reason(new Uint8Array(255))).toBe('length');
    expect(reason(new Uint8Array(257))).toBe('length');
    expect(reason(new Uint8Array(0))).toBe('length');
    expect(reason(bytesOf(n))).toBe('range');
    expect(reason(new Uint8Array(256).fill(0xff))).toBe('range');
  });

  it('refuses to hand out a signature made with a key that does not match', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const m = bytesOf(big(randomBytes(200)));
    expect(() => blindSign(other, publicKey, m)).toThrow(/does not verify|data too large/);
  });
});
