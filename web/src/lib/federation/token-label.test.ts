import { describe, expect, it } from 'vitest';
import {
  formatIn,
  issuerHost,
  issuerProblems,
  shortPin,
  tokenKindOf,
  tokenLabel,
  tokenOf,
  tokenTag,
} from './token-label.ts';

// A token's text as messages carry it: 472 base64url characters.
const TOKEN = `AAI${'x'.repeat(461)}Ab-_9z8Y`;

describe('token labels', () => {
  it("names a sent message's token by the message's kind, with its last 8 characters", () => {
    expect(TOKEN).toHaveLength(472);
    const task = JSON.stringify({ v: 2, key: 'k', token: TOKEN });
    expect(tokenLabel({ kind: 'task', json: task })).toBe('task token …Ab-_9z8Y');
    expect(tokenLabel({ kind: 'heartbeat', json: task })).toBe('presence token …Ab-_9z8Y');
    expect(tokenLabel({ kind: 'activity', json: task })).toBe('presence token …Ab-_9z8Y');
    expect(tokenTag({ kind: 'task', json: task })).toEqual({ kind: 'task', tail: 'Ab-_9z8Y' });
    expect(tokenTag({ kind: 'task', json: '{"v":2}' })).toBeUndefined();
    expect(tokenKindOf('task')).toBe('task');
    expect(tokenKindOf('heartbeat')).toBe('presence');
  });

  it('says "none" for a message without a token, and for anything that is not one', () => {
    expect(tokenLabel({ kind: 'heartbeat', json: '{"v":2,"node":"n"}' })).toBe('none');
    for (const json of ['{"token":""}', '{"token":5}', '[1]', 'null', 'not json', '"token"'])
      expect(tokenOf(json), json).toBeUndefined();
    expect(tokenOf(`{"token":"${TOKEN}"}`)).toBe(TOKEN);
  });
});

describe('the next fetch', () => {
  const now = 1_000_000_000_000;
  it.each([
    [now - 5000, 'now'],
    [now, 'now'],
    [now + 1, 'in 1 s'],
    [now + 40_000, 'in 40 s'],
    [now + 60_000, 'in 1 min'],
    [now + 61_000, 'in 2 min'],
    [now + 3_600_000, 'in 1 h'],
    [now + 3_600_000 * 3 + 300_000, 'in 3 h 5 min'],
    [now + 86_400_000 * 2 + 3_600_000 * 4, 'in 2 d 4 h'],
    [now + 86_400_000, 'in 1 d'],
  ])('%s reads %s', (at, words) => expect(formatIn(at, now)).toBe(words));
});

describe('the issuer fields', () => {
  const none = { issuerUrl: '', issuerName: '', issuerInvite: '' };

  it('takes empty fields (no issuer, the default name, no invite) and good ones', () => {
    expect(issuerProblems(none)).toEqual({});
    expect(
      issuerProblems({
        issuerUrl: 'https://issuer.example.org',
        issuerName: 'tokens',
        issuerInvite: 'a-B_9',
      }),
    ).toEqual({});
    expect(issuerProblems({ ...none, issuerUrl: 'http://localhost:8081' })).toEqual({});
    expect(issuerProblems({ ...none, issuerUrl: 'http://127.0.0.1:8081/' })).toEqual({});
  });

  it('refuses a URL that is not http(s), and plain http to another machine, which the app cannot reach', () => {
    for (const issuerUrl of [
      'issuer.example.org',
      'ftp://issuer.example.org',
      'wss://x.org',
      'https://',
      'https://a b',
    ])
      expect(issuerProblems({ ...none, issuerUrl }).issuerUrl, issuerUrl).toMatch(/http:\/\/ or https:\/\//);
    expect(issuerProblems({ ...none, issuerUrl: 'http://issuer.example.org' }).issuerUrl).toMatch(
      /Use https:\/\/ for an issuer on another machine/,
    );
  });

  it('refuses an invite code of other characters or over 100 of them, and a name over 200', () => {
    for (const issuerInvite of ['with space', 'a/b', 'é', 'x'.repeat(101)])
      expect(issuerProblems({ ...none, issuerInvite }).issuerInvite, issuerInvite).toMatch(
        /1 to 100 letters/,
      );
    expect(issuerProblems({ ...none, issuerInvite: 'x'.repeat(100) })).toEqual({});
    expect(issuerProblems({ ...none, issuerName: 'n'.repeat(201) }).issuerName).toMatch(/200/);
  });

  it('shows host names and pins short', () => {
    expect(issuerHost('http://localhost:8081')).toBe('localhost');
    expect(issuerHost('not a url')).toBe('');
    expect(shortPin('0123456789abcdef'.repeat(4))).toBe('01234567…');
    expect(shortPin(`2026-11-30:${'89abcdef01234567'.repeat(4)}`)).toBe('89abcdef… (week of 2026-11-30)');
  });
});
