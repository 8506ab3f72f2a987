import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { mintKey, mintToken } from '../../../../../test/support/token-mint.ts';
import { guard, localValues, withToken } from './guard.ts';

// A looser schema than the real ones, so the guard's own checks are what refuses.
const Loose = v.strictObject({
  note: v.string(),
  chain: v.string(),
  label: v.picklist(['completed', 'failed']),
  key: v.optional(v.string()),
});
const ok = { note: 'fine', chain: '11155111', label: 'completed' };

describe('guard', () => {
  it('passes a clean message, with the chain id and fixed labels equal to local values', () => {
    const result = guard(Loose, ok, { chainId: '11155111', status: 'completed' });
    expect(result).toEqual({ ok: true, message: ok, json: JSON.stringify(ok) });
  });

  it.each([
    ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'a 0x address'],
    // An invoice's transaction hash (invoice.paid): the operator's own, never federated.
    [`0x${'3caf8ece'.repeat(8)}`, 'a 0x address or hash'],
    ['deadbeefdeadbeefdeadbeef', 'a hex key'],
    ['123e4567-e89b-12d3-a456-426614174000', 'a UUID'],
    ['QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', 'base58'],
    ['at 192.168.1.20', 'an IPv4'],
    ['fe80::1', 'an IPv6'],
    ['ops@example.org', 'an e-mail'],
    ['block 18000000', 'a long number'],
  ])('refuses %s (%s)', (note, shape) => {
    const result = guard(Loose, { ...ok, note }, {});
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(shape);
  });

  it('refuses a value of the local record, and a schema violation', () => {
    expect(guard(Loose, { ...ok, note: 'task-ab' }, { taskId: 'TASK-AB' })).toEqual({
      ok: false,
      reason: 'note holds a value of the local record',
    });
    expect(guard(Loose, { ...ok, extra: 1 }, {}).ok).toBe(false);
    // HMAC fields may be hex, but not a local value.
    expect(guard(Loose, { ...ok, key: 'abcdef0123456789abcdef' }, {}).ok).toBe(true);
    expect(guard(Loose, { ...ok, key: 'abcdef0123456789abcdef' }, { id: 'abcdef0123456789abcdef' }).ok).toBe(
      false,
    );
  });

  it('collects local values of five characters or more, bounded', () => {
    expect([...localValues({ a: 'abc', b: 'abcdef', c: { d: 123456, e: 12 } })]).toEqual([
      'abcdef',
      '123456',
    ]);
    expect(localValues(Array.from({ length: 10_000 }, (_, i) => `value-${i}`)).size).toBeLessThanOrEqual(
      5001,
    );
  });

  describe('withToken', () => {
    const key = mintKey('task');
    const keyId = key.tokenKeyId.toString('hex');
    const Tokened = v.strictObject({ ...Loose.entries, token: v.optional(v.string()) });
    const json = JSON.stringify(ok);

    it('adds a token of the key it was fetched under, and only that field', () => {
      const token = mintToken(key);
      const result = withToken(Tokened, json, { token, keyId });
      expect(result).toEqual({ ok: true, message: { ...ok, token }, json: JSON.stringify({ ...ok, token }) });
      // A re-send with another token replaces it.
      const other = mintToken(key);
      expect(withToken(Tokened, result.ok ? result.json : '', { token: other, keyId })).toMatchObject({
        ok: true,
        message: { token: other },
      });
    });

    it('refuses what is not a token, one under another key, and a token through guard()', () => {
      const token = mintToken(key);
      expect(withToken(Tokened, json, { token: 'A'.repeat(472), keyId })).toEqual({
        ok: false,
        reason: 'token is not a Privacy Pass token',
      });
      expect(withToken(Tokened, json, { token: token.slice(0, -4), keyId }).ok).toBe(false);
      expect(withToken(Tokened, json, { token, keyId: '00'.repeat(32) })).toEqual({
        ok: false,
        reason: 'token is not under the key it was fetched under',
      });
      // guard() never lets a token field through: only withToken() adds one, checked.
      expect(guard(Tokened, { ...ok, token }, {})).toEqual({
        ok: false,
        reason: 'a token is added only once the message passed the guard',
      });
    });
  });
});
