// An attestation policy (docs/TRUST.md, "Attestation policies"): it reads a token request's attestation and
// source address and names the subject whose allowance pays for the token, or refuses. A proof of a registered
// TrueBit node can be one more Attester later.

export interface AttestationInput {
  /** The request's `Authorization` header, if any. */
  authorization: string | undefined;
  /** The address the request came from. */
  address: string;
  /** The token request's bytes (what a proof of work is bound to). */
  request: Uint8Array;
}

export type Attestation =
  | { ok: true; subject: string }
  /** 401: no attestation or one we do not know; 403: one we know and refuse (revoked). */
  | { ok: false; status: 401 | 403; reason: string };

export interface Attester {
  /** The policy's name, as the issuer's log and the stats will say it. */
  readonly policy: string;
  /** The `Authorization` scheme it reads, with its parameters: a 401's `WWW-Authenticate` (`PoW bits=18`). */
  readonly scheme?: string;
  attest(input: AttestationInput): Attestation;
}
