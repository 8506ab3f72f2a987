// The proof of work of the issuer's open policy (docs/TRUST.md, "Open"): a token request is sent with
// `Authorization: PoW <counter>`, where SHA-256(domain ‖ token request ‖ counter as 8 bytes big-endian) starts
// with the issuer's number of zero bits. Bound to the request's blinded message, so one proof buys one request.
// Built with WebCrypto alone: the browser solves it, the issuer checks it, on the same bytes.

const DOMAIN = new TextEncoder().encode('truwatch token request pow v1');

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

/** The first counter that proves `bits` of work for `tokenRequest` (on average 2^bits hashes). */
export async function solveProofOfWork(tokenRequest: Uint8Array, bits: number): Promise<number> {
  for (let counter = 0; ; counter++) {
    const input = proofOfWorkInput(tokenRequest, counter);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input as Uint8Array<ArrayBuffer>));
    if (leadingZeroBits(digest) >= bits) return counter;
  }
}
