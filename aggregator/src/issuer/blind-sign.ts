// RFC 9474 BlindSign with OpenSSL's raw RSA: s = m^d mod n, checked (s^e mod n == m) before it leaves, so a
// fault in the private operation cannot hand out a value that leaks the key.
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { NK } from '../../../protocol/private-token.ts';

export type BlindSignFailure = 'length' | 'range' | 'check';

export class BlindSignError extends Error {
  constructor(
    readonly reason: BlindSignFailure,
    message: string,
  ) {
    super(message);
  }
}

const moduli = new WeakMap<KeyObject, Buffer>();

function modulus(publicKey: KeyObject): Buffer {
  let n = moduli.get(publicKey);
  if (!n) {
    const jwk = publicKey.export({ format: 'jwk' });
    n = Buffer.from(jwk.n ?? '', 'base64url');
    moduli.set(publicKey, n);
  }
  return n;
}

/** Why `blindedMsg` cannot be signed under `publicKey`'s key, if it cannot: checked before it costs a token. */
export function refuseBlindedMessage(
  publicKey: KeyObject,
  blindedMsg: Uint8Array,
): BlindSignError | undefined {
  if (blindedMsg.length !== NK) return new BlindSignError('length', `a blinded message is ${NK} bytes`);
  const n = modulus(publicKey);
  if (n.length !== NK || Buffer.compare(blindedMsg, n) >= 0)
    return new BlindSignError('range', 'the blinded message is not below the modulus');
  return undefined;
}

/** The blind signature of `blindedMsg` (Nk bytes, big-endian, below the modulus) under an RSA-2048 key. */
export function blindSign(privateKey: KeyObject, publicKey: KeyObject, blindedMsg: Uint8Array): Buffer {
  const refused = refuseBlindedMessage(publicKey, blindedMsg);
  if (refused) throw refused;
  const message = Buffer.from(blindedMsg);
  const signature = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, message);
  const back = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  if (signature.length !== NK || !back.equals(message))
    throw new BlindSignError('check', 'the blind signature does not verify');
  return signature;
}
