// The open policy (public networks): anyone may ask, each source (an IPv4 address, an IPv6 /56) has its own
// allowance, and each request carries a proof of work bound to it: `Authorization: PoW <counter>`
// (protocol/proof-of-work.ts). A cost, not a bound (docs/TRUST.md, "Open"). The issuer must see the clients'
// own addresses: behind a proxy every client would be one subject.
import { createHash } from 'node:crypto';
import { leadingZeroBits, proofOfWorkInput } from '../../../protocol/proof-of-work.ts';
import type { Attester } from './attester.ts';
import { sourceSubject } from './source-subject.ts';

const POW = /^PoW\s+(\d{1,15})\s*$/i;

export function openAttester(bits: number): Attester {
  return {
    policy: 'open',
    // The app learns the work asked for from a 401.
    scheme: `PoW bits=${bits}`,
    attest({ authorization, address, request }) {
      const subject = sourceSubject(address);
      if (!subject) return { ok: false, status: 403, reason: 'the source address is not one we can count' };
      const counter = POW.exec(authorization ?? '')?.[1];
      if (counter === undefined)
        return {
          ok: false,
          status: 401,
          reason: `a proof of work of ${bits} bits is required: Authorization: PoW <counter>`,
        };
      const digest = createHash('sha256')
        .update(proofOfWorkInput(request, Number(counter)))
        .digest();
      if (leadingZeroBits(digest) < bits)
        return { ok: false, status: 401, reason: `the proof of work does not reach ${bits} bits` };
      return { ok: true, subject: `open ${subject}` };
    },
  };
}
