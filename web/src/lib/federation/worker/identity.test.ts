import { describe, expect, it } from 'vitest';
import { HmacSchema } from '../../../../../protocol/federation.ts';
import * as v from 'valibot';
import { Identity, IdentityError, newSecret } from './identity.ts';

describe('identity', () => {
  it('gives task keys that are stable for one secret and differ across secrets', async () => {
    const secret = newSecret();
    const a = await Identity.from(secret);
    const again = await Identity.from(new Uint8Array(secret));
    const other = await Identity.from(newSecret());
    const key = await a.taskKey('exec-1');
    expect(v.is(HmacSchema, key)).toBe(true);
    expect(await again.taskKey('exec-1')).toBe(key);
    expect(await a.taskKey('exec-2')).not.toBe(key);
    expect(await other.taskKey('exec-1')).not.toBe(key);
  });

  it('changes the pseudonym at UTC midnight and not before', async () => {
    const id = await Identity.from(newSecret());
    const midnight = Date.parse('2026-11-22T00:00:00Z');
    const dayStart = await id.nodePseudonym(Date.parse('2026-11-21T00:00:00Z'));
    expect(await id.nodePseudonym(midnight - 1)).toBe(dayStart);
    const next = await id.nodePseudonym(midnight);
    expect(next).not.toBe(dayStart);
    expect(await id.nodePseudonym(midnight + 86_400_000 - 1)).toBe(next);
    // A task key never equals a pseudonym: the inputs are in different domains.
    expect(await id.taskKey('2026-11-21')).not.toBe(dayStart);
  });

  it('refuses a secret of the wrong size', async () => {
    await expect(Identity.from(new Uint8Array(8))).rejects.toBeInstanceOf(IdentityError);
    await expect(Identity.from('secret')).rejects.toBeInstanceOf(IdentityError);
  });
});
