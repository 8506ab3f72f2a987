// The dev policy (federation:dev, tests, demos): no attestation. Each source address is a subject with the
// usual allowance, so a demo behaves as it will with invites; it bounds nothing against anyone with addresses.
import type { Attester } from './attester.ts';

export const devAttester: Attester = {
  policy: 'dev',
  attest: ({ address }) => ({ ok: true, subject: `dev ${address}` }),
};
