import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';
import { TokenVerifier, tokenBytes } from './verify-token.ts';

let issuer: TestIssuer;
let verifier: TokenVerifier;
let presence: Uint8Array;
let task: Uint8Array;

beforeAll(async () => {
  issuer = await startTestIssuer();
  verifier = new TokenVerifier(
    issuer.config.issuerName,
    issuer.keys
      .keys(Date.now())
      .map((key) => ({ kind: key.kind, tokenKey: key.tokenKey, notBefore: key.weekStart })),
  );
  presence = await fetchToken(issuer.url, issuer.config.issuerName, 'presence');
  task = await fetchToken(issuer.url, issuer.config.issuerName, 'task');
});
afterAll(() => issuer?.stop());

const tampered = (token: Uint8Array, at: number) => {
  const copy = new Uint8Array(token);
  copy[at]! ^= 1;
  return copy;
};

describe('TokenVerifier, on tokens the library client fetched from the real issuer', () => {
  it('accepts a token of each kind as its own kind, under this week’s key of that kind', () => {
    const p = verifier.verify(presence, 'presence');
    const t = verifier.verify(task, 'task');
    expect(p.ok && p.token.key.kind).toBe('presence');
    expect(t.ok && t.token.key.kind).toBe('task');
    if (p.ok) expect(p.token.nonce).toEqual(Buffer.from(presence.subarray(2, 34)));
  });

  it('refuses a token of one kind as the other', () => {
    expect(verifier.verify(presence, 'task')).toEqual({ ok: false, reason: 'wrong_challenge' });
    expect(verifier.verify(task, 'presence')).toEqual({ ok: false, reason: 'wrong_challenge' });
  });

  it('says why a token is refused', () => {
    expect(verifier.verify(presence.subarray(1), 'presence')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify(tampered(presence, 1), 'presence')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify(tampered(presence, 40), 'presence')).toEqual({
      ok: false,
      reason: 'wrong_challenge',
    });
    expect(verifier.verify(tampered(presence, 70), 'presence')).toEqual({ ok: false, reason: 'unknown_key' });
    expect(verifier.verify(tampered(presence, 5), 'presence')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifier.verify(tampered(presence, 200), 'presence')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const otherIssuer = new TokenVerifier('other.test', [
      { kind: 'presence', tokenKey: issuer.keys.keys(Date.now())[0]!.tokenKey, notBefore: 0 },
    ]);
    expect(otherIssuer.verify(presence, 'presence')).toEqual({ ok: false, reason: 'wrong_challenge' });
    const noKeys = new TokenVerifier(issuer.config.issuerName, []);
    expect(noKeys.verify(presence, 'presence')).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('reads a token as messages carry it (unpadded base64url, 472 characters)', () => {
    const text = Buffer.from(task).toString('base64url');
    expect(text).toHaveLength(472);
    expect(verifier.verify(tokenBytes(text)!, 'task').ok).toBe(true);
    expect(tokenBytes(`${text.slice(1)}=`)).toBeUndefined();
  });
});
