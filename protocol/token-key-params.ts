// The parameters of an issuer's token-key, checked by the app before it blinds anything for the key (RFC 9576
// §6.2): the exact bytes of an RSA-2048 SubjectPublicKeyInfo whose algorithm is RSASSA-PSS with SHA-384,
// MGF1-SHA-384 and a 48-byte salt, public exponent 65537, in the encoding the issuer writes and the aggregator
// accepts (aggregator/src/tokens/token-key.ts: the hash AlgorithmIdentifiers without NULL parameters, 342
// bytes). Plain bytes, no ASN.1 parser: anything else is refused.

const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));

/**
 * SEQUENCE (338) { SEQUENCE { id-RSASSA-PSS, RSASSA-PSS-params { sha384, mgf1(sha384), saltLength 48 } },
 * BIT STRING (271, no unused bits) { RSAPublicKey SEQUENCE (266) { INTEGER (257: 0x00 and the modulus) } } }
 */
const HEADER = hex(
  '30820152' +
    '303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108' +
    '300b0609608648016503040202a203020130' +
    '0382010f00' +
    '3082010a' +
    '0282010100',
);
const MODULUS_LENGTH = 256;
/** INTEGER 65537. */
const EXPONENT = hex('0203010001');
export const TOKEN_KEY_LENGTH = HEADER.length + MODULUS_LENGTH + EXPONENT.length;

/** Why `tokenKey` is not a token-key of ours, or undefined when it is one. */
export function tokenKeyRefusal(tokenKey: Uint8Array): string | undefined {
  if (tokenKey.length !== TOKEN_KEY_LENGTH) return `a token key is ${TOKEN_KEY_LENGTH} bytes`;
  if (HEADER.some((byte, i) => tokenKey[i] !== byte))
    return 'the token key is not an RSA-2048 RSASSA-PSS key with SHA-384, MGF1-SHA-384 and a 48-byte salt';
  const modulus = tokenKey.subarray(HEADER.length, HEADER.length + MODULUS_LENGTH);
  if (modulus[0]! < 0x80) return 'the token key’s modulus is not 2048 bits';
  if (modulus[MODULUS_LENGTH - 1]! % 2 === 0) return 'the token key’s modulus is even';
  if (EXPONENT.some((byte, i) => tokenKey[HEADER.length + MODULUS_LENGTH + i] !== byte))
    return 'the token key’s public exponent is not 65537';
  return undefined;
}
