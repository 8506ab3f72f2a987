// The proof of work of the issuer's open policy (docs/TRUST.md, "Open"): a token request is sent with
// `Authorization: PoW <counter>`, where SHA-256(domain ‖ token request ‖ counter as 8 bytes big-endian) starts
// with the issuer's number of zero bits. Bound to the request's blinded message, so one proof buys one request.
// The app solves it with @noble/hashes' SHA-256 in plain JavaScript (WebCrypto's digest is a promise a hash,
// 20–40 µs each); the issuer checks it with node's, on the same bytes.
import { sha256 } from '@noble/hashes/sha256';

const DOMAIN = new TextEncoder().encode('truwatch token request pow v1');
/** The largest counter the issuer reads (`PoW <counter>`, 15 digits at most). */
const MAX_COUNTER = 999_999_999_999_999;
/** Hashes a slice of solveProofOfWork tries before it lets the thread's other work run (about 50 ms). */
const SLICE = 1 << 16;

/** The bytes whose SHA-256 must start with the zero bits. */
export function proofOfWorkInput(tokenRequest: Uint8Array, counter: number): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + tokenRequest.length + 8);
  out.set(DOMAIN);
  out.set(tokenRequest, DOMAIN.length);
  new DataView(out.buffer).setBigUint64(DOMAIN.length + tokenRequest.length, BigInt(counter));
  return out;
}

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/**
 * The first counter in [from, to) that proves `bits` of work for `tokenRequest`, or undefined. Synchronous:
 * the hash of domain ‖ request is taken once, and each counter costs the last block or two from there.
 */
export function searchProofOfWork(
  tokenRequest: Uint8Array,
  bits: number,
  from: number,
  to: number,
): number | undefined {
  const prefix = sha256.create().update(DOMAIN).update(tokenRequest);
  const hash = prefix.clone();
  const counterBytes = new Uint8Array(8);
  const counterView = new DataView(counterBytes.buffer);
  const digest = new Uint8Array(32);
  const end = Math.min(to, MAX_COUNTER + 1);
  for (let counter = from; counter < end; counter++) {
    counterView.setUint32(0, Math.floor(counter / 0x1_0000_0000));
    counterView.setUint32(4, counter >>> 0);
    prefix._cloneInto(hash).update(counterBytes).digestInto(digest);
    if (leadingZeroBits(digest) >= bits) return counter;
  }
  return undefined;
}

/**
 * The first counter that proves `bits` of work for `tokenRequest` (on average 2^bits hashes), searched in
 * slices with a pause between them, so that a worker's other tasks still run; rejects with the signal's reason
 * once it is aborted.
 */
export async function solveProofOfWork(
  tokenRequest: Uint8Array,
  bits: number,
  signal?: AbortSignal,
): Promise<number> {
  for (let from = 0; from <= MAX_COUNTER; from += SLICE) {
    signal?.throwIfAborted();
    const counter = searchProofOfWork(tokenRequest, bits, from, from + SLICE);
    if (counter !== undefined) return counter;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`no counter proves ${bits} bits of work`);
}
