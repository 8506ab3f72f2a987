// The RFC 9578 `token-key`: an RSA-2048 public key as a SubjectPublicKeyInfo whose algorithm is RSASSA-PSS
// with SHA-384, MGF1-SHA-384 and a 48-byte salt, and its token_key_id (SHA-256 of those bytes).
// Built by hand rather than exported from node's 'rsa-pss' key: OpenSSL writes the hash AlgorithmIdentifiers
// with NULL parameters (346 bytes), while RFC 9578's test vectors and @cloudflare/privacypass-ts leave them out
// (342 bytes), and the key id is a hash of the exact bytes.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** SEQUENCE { id-RSASSA-PSS, RSASSA-PSS-params { sha384, mgf1(sha384), saltLength 48 } } */
const PSS_ALGORITHM = Buffer.from(
  '303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108' +
    '300b0609608648016503040202a203020130',
  'hex',
);

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** The token-key of an RSA public key (any KeyObject holding one). */
export function tokenKeyOf(publicKey: KeyObject): Buffer {
  const rsaPublicKey = publicKey.export({ type: 'pkcs1', format: 'der' });
  const bitString = der(0x03, Buffer.concat([Buffer.from([0]), rsaPublicKey]));
  return der(0x30, Buffer.concat([PSS_ALGORITHM, bitString]));
}

export function tokenKeyId(tokenKey: Uint8Array): Buffer {
  return createHash('sha256').update(tokenKey).digest();
}

/**
 * The RSA public key of a token-key, refused unless it is exactly our encoding of an RSA-2048 key with the
 * RSASSA-PSS SHA-384 parameters (RFC 9576 §6.2: a client and a verifier check the key's parameters).
 */
export function publicKeyOfTokenKey(tokenKey: Uint8Array): KeyObject {
  const bytes = Buffer.from(tokenKey);
  const header = 4 + PSS_ALGORITHM.length + 5; // SEQUENCE, algorithm, BIT STRING header with its 0 byte
  let key: KeyObject;
  try {
    key = createPublicKey({ key: bytes.subarray(header), format: 'der', type: 'pkcs1' });
  } catch {
    throw new Error('token key is not an RSA public key');
  }
  if (key.asymmetricKeyDetails?.modulusLength !== 2048) throw new Error('token key is not RSA-2048');
  if (!tokenKeyOf(key).equals(bytes)) throw new Error('token key is not RSASSA-PSS with SHA-384 and salt 48');
  return key;
}
