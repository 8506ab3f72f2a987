import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { leadingZeroBits, proofOfWorkInput, solveProofOfWork } from '../../../protocol/proof-of-work.ts';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';

const BITS = 10;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer({ policy: 'open', powBits: BITS, taskTokensPerWeek: 2 });
});
afterAll(() => issuer?.stop());

const proof = (bits: number) => async (request: Uint8Array) => `PoW ${await solveProofOfWork(request, bits)}`;
const bits = (request: Uint8Array, counter: number) =>
  leadingZeroBits(createHash('sha256').update(proofOfWorkInput(request, counter)).digest());
const counterWhere = (holds: (counter: number) => boolean) => {
  let counter = 0;
  while (!holds(counter)) counter++;
  return counter;
};
const token = (kind: 'presence' | 'task', authorization?: Parameters<typeof fetchToken>[3]) =>
  fetchToken(issuer.url, issuer.config.issuerName, kind, authorization);

describe('the open policy', () => {
  it('refuses a request without a proof of work, or with one too weak or for another request', async () => {
    await expect(token('task')).rejects.toThrow(/code:401 response:a proof of work of 10 bits is required/);
    const weak = async (request: Uint8Array) => `PoW ${counterWhere((c) => bits(request, c) < BITS)}`;
    await expect(token('task', weak)).rejects.toThrow(
      /code:401 response:the proof of work does not reach 10/,
    );
    const forAnother = async (request: Uint8Array) => {
      const another = request.map((b, i) => (i === 100 ? b ^ 1 : b));
      return `PoW ${counterWhere((c) => bits(another, c) >= BITS && bits(request, c) < BITS)}`;
    };
    await expect(token('task', forAnother)).rejects.toThrow(/code:401/);
    // The 401 names the work asked for, for the app to do it.
    const refused = await fetch(`${issuer.url}/token-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/private-token-request' },
      body: new Uint8Array(259),
    });
    expect(refused.status).toBe(400); // a request for no key of this week: refused before the attestation
    const key = issuer.keys.published(Date.now())[0]!;
    const unproven = await fetch(`${issuer.url}/token-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/private-token-request' },
      body: new Uint8Array([0, 2, key.tokenKeyId.at(-1)!, ...new Uint8Array(256).fill(1)]),
    });
    expect(unproven.status).toBe(401);
    expect(unproven.headers.get('www-authenticate')).toBe(`PoW bits=${BITS}`);
  });

  it('issues tokens for a proof of work, with an allowance per source address', async () => {
    for (let i = 0; i < 2; i++) expect(await token('task', proof(BITS))).toHaveLength(354);
    await expect(token('task', proof(BITS))).rejects.toThrow(/code:429/);
    for (let i = 0; i < 14; i++) expect(await token('presence', proof(BITS))).toHaveLength(354);
    await expect(token('presence', proof(BITS))).rejects.toThrow(/code:429/);
  });
});
