// The app's issuer client against the real issuer (aggregator/src/issuer, in this process over HTTP) with the
// real Privacy Pass library: the tokens it fetches pass the message schema and the aggregator's own check, and
// each refusal of the issuer is the error the service is told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { TokenSchema } from '../../../../../protocol/federation.ts';
import {
  decodeToken,
  ISSUER_DIRECTORY_PATH,
  TOKEN_REQUEST_PATH,
  type IssuerDirectory,
  type TokenKind,
} from '../../../../../protocol/private-token.ts';
import { freePort } from '../../../../../test/support/free-port.ts';
import {
  createInvite,
  issuerVerifier,
  revokeInvite,
  startTestIssuer,
  type TestIssuer,
} from '../../../../../test/support/issuer.ts';
import { IssuerClient, type FetchedToken, type IssuerSettings } from './issuer-client.ts';

const DAY_MS = 86_400_000;
const bytes = (token: string) => new Uint8Array(Buffer.from(token, 'base64url'));

const settingsOf = (issuer: TestIssuer, more: Partial<IssuerSettings> = {}): IssuerSettings => ({
  url: issuer.url,
  name: issuer.config.issuerName,
  invite: '',
  pins: null,
  ...more,
});

/** The issuer's key of `kind` that signs now: its id in hex and its week. */
function currentKey(issuer: TestIssuer, kind: TokenKind): { id: string; weekStart: number } {
  const now = Date.now();
  const key = issuer.keys
    .published(now)
    .filter((k) => k.kind === kind && k.weekStart <= now)
    .sort((a, b) => b.weekStart - a.weekStart)[0]!;
  return { id: key.tokenKeyId.toString('hex'), weekStart: key.weekStart };
}

const tokenRequests = (issuer: TestIssuer) => issuer.exchanges.filter((e) => e.path === TOKEN_REQUEST_PATH);

/** Checks each token as the aggregator and the message schema will. */
function expectAccepted(issuer: TestIssuer, tokens: FetchedToken[], kind: TokenKind): void {
  const verifier = issuerVerifier(issuer);
  const key = currentKey(issuer, kind);
  for (const token of tokens) {
    expect(v.parse(TokenSchema, token.token)).toBe(token.token);
    expect(decodeToken(bytes(token.token))).toBeDefined();
    const verified = verifier.verify(bytes(token.token), kind);
    expect(verified.ok).toBe(true);
    expect(verifier.verify(bytes(token.token), kind === 'task' ? 'presence' : 'task').ok).toBe(false);
    expect(token).toMatchObject({ kind, keyId: key.id, notBeforeMs: key.weekStart });
    if (verified.ok) expect(verified.token.tokenKeyId.toString('hex')).toBe(token.keyId);
  }
  expect(new Set(tokens.map((t) => t.token)).size).toBe(tokens.length);
}

/** A fetcher that serves `directory` (edited from the real one) and records every request. */
function fakeIssuer(
  directory: IssuerDirectory,
  tokenResponse: () => Response = () => new Response('no', { status: 500 }),
) {
  const requests: { url: string; method: string }[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const url = String(input);
    requests.push({ url, method: init?.method ?? 'GET' });
    if (url.endsWith(ISSUER_DIRECTORY_PATH)) return Response.json(directory);
    return tokenResponse();
  };
  return { fetcher, requests };
}

async function directoryOf(issuer: TestIssuer): Promise<IssuerDirectory> {
  return (await (await fetch(`${issuer.url}${ISSUER_DIRECTORY_PATH}`)).json()) as IssuerDirectory;
}

describe('the issuer client, dev policy', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ policy: 'dev' });
  });
  afterAll(() => issuer?.stop());

  it('fetches tokens of each kind that the message schema and the aggregator’s check accept', async () => {
    const client = new IssuerClient(settingsOf(issuer), { now: () => Date.now() });
    const before = issuer.exchanges.length;
    const task = await client.fetchTokens('task', 4);
    expect(task.error).toBeUndefined();
    expect(task.tokens).toHaveLength(4);
    expectAccepted(issuer, task.tokens, 'task');
    const presence = await client.fetchTokens('presence', 2);
    expect(presence.error).toBeUndefined();
    expectAccepted(issuer, presence.tokens, 'presence');

    // One directory a call, one request a token, and no attestation under the dev policy.
    const exchanges = issuer.exchanges.slice(before);
    expect(exchanges.map((e) => [e.path, e.status])).toEqual([
      [ISSUER_DIRECTORY_PATH, 200],
      ...Array(4).fill([TOKEN_REQUEST_PATH, 200]),
      [ISSUER_DIRECTORY_PATH, 200],
      ...Array(2).fill([TOKEN_REQUEST_PATH, 200]),
    ]);
    expect(exchanges.every((e) => e.authorization === null)).toBe(true);
  });

  it('stamps each token with the clock it is given', async () => {
    const at = Date.now();
    const { tokens } = await new IssuerClient(settingsOf(issuer), { now: () => at }).fetchTokens('task', 1);
    expect(tokens[0]?.fetchedMs).toBe(at);
  });

  it('fetches under a pinned key, and makes no token request for a key it does not know', async () => {
    const key = currentKey(issuer, 'task');
    const pinned = await new IssuerClient(
      settingsOf(issuer, { pins: ['00'.repeat(32), key.id.toUpperCase()] }),
    ).fetchTokens('task', 1);
    expect(pinned.error).toBeUndefined();
    expect(pinned.tokens).toHaveLength(1);

    const requestsBefore = tokenRequests(issuer).length;
    const other = await new IssuerClient(
      settingsOf(issuer, { pins: [currentKey(issuer, 'presence').id] }),
    ).fetchTokens('task', 3);
    expect(other.tokens).toEqual([]);
    expect(other.error?.reason).toBe('key_not_pinned');
    expect(other.error?.message).toContain(key.id);
    const none = await new IssuerClient(settingsOf(issuer, { pins: [] })).fetchTokens('task', 1);
    expect(none.error?.reason).toBe('key_not_pinned');
    expect(tokenRequests(issuer).length).toBe(requestsBefore);
  });

  it('finds no key before the first week the issuer lists', async () => {
    const client = new IssuerClient(settingsOf(issuer), { now: () => Date.now() - 8 * DAY_MS });
    const result = await client.fetchTokens('presence', 1);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'no_key' } });
  });

  it('refuses a key of other parameters before sending anything for it', async () => {
    const real = await directoryOf(issuer);
    const alter = (edit: (key: Uint8Array) => Uint8Array) => ({
      ...real,
      'token-keys': real['token-keys'].map((entry) => ({
        ...entry,
        'token-key': Buffer.from(edit(bytes(entry['token-key']))).toString('base64url'),
      })),
    });
    for (const directory of [
      alter((key) => key.map((b, i) => (i === 66 ? 32 : b))), // salt 32
      alter((key) => key.map((b, i) => (i === 33 ? 1 : b))), // SHA-256
      alter((key) => key.subarray(0, 300)),
    ]) {
      const { fetcher, requests } = fakeIssuer(directory);
      const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 2);
      expect(result).toMatchObject({ tokens: [], error: { reason: 'bad_key' } });
      expect(requests.map((r) => r.method)).toEqual(['GET']);
    }
    // The real directory through the same fake: the refusal above is the key's.
    const { fetcher } = fakeIssuer(real);
    const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 1);
    expect(result.error).toMatchObject({ reason: 'issuer_error', status: 500 });
  });

  it('refuses a directory that is not one', async () => {
    for (const body of ['<html>', '{"token-keys": []}', '{"issuer-request-uri": "/t", "token-keys": {}}']) {
      const fetcher: typeof fetch = async () => new Response(body);
      const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 1);
      expect(result.error?.reason).toBe('bad_directory');
    }
    const notFound: typeof fetch = async () => new Response('not here', { status: 404 });
    const result = await new IssuerClient(settingsOf(issuer), { fetcher: notFound }).fetchTokens('task', 1);
    expect(result.error).toMatchObject({ reason: 'bad_directory', status: 404 });
  });

  it('takes no token from a response that is not the issuer’s signature', async () => {
    const { fetcher, requests } = fakeIssuer(await directoryOf(issuer), () => {
      const junk = new Uint8Array(256).fill(0x5a);
      return new Response(junk, { headers: { 'content-type': 'application/private-token-response' } });
    });
    const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 2);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'issuer_error' } });
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('keeps the tokens it fetched when it is aborted', async () => {
    const controller = new AbortController();
    let posts = 0;
    const fetcher: typeof fetch = async (input, init) => {
      if (init?.method === 'POST' && ++posts === 3) controller.abort();
      return fetch(input, init);
    };
    const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens(
      'task',
      5,
      controller.signal,
    );
    expect(result.tokens).toHaveLength(2);
    expect(result.error?.reason).toBe('unreachable');
    expect(result.error?.message).toMatch(/abort/i);
    expectAccepted(issuer, result.tokens, 'task');
  });

  it('says the issuer is unreachable when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await new IssuerClient({ ...settingsOf(issuer), url }).fetchTokens('task', 1);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'unreachable' } });
  });
});

describe('the issuer client, invites policy', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ policy: 'invites', taskTokensPerWeek: 3 });
  });
  afterAll(() => issuer?.stop());

  it('fetches with a good invite, and is refused without one, with an unknown or a revoked one', async () => {
    const code = createInvite(issuer);
    const good = await new IssuerClient(settingsOf(issuer, { invite: code })).fetchTokens('presence', 2);
    expect(good.error).toBeUndefined();
    expectAccepted(issuer, good.tokens, 'presence');
    expect(tokenRequests(issuer).at(-1)?.authorization).toBe(`Invite ${code}`);

    const missing = await new IssuerClient(settingsOf(issuer)).fetchTokens('presence', 2);
    expect(missing).toMatchObject({ tokens: [], error: { reason: 'refused', status: 401 } });
    expect(missing.error?.message).toMatch(/an invite is required/);
    const unknown = await new IssuerClient(settingsOf(issuer, { invite: 'nosuchcode' })).fetchTokens(
      'presence',
      1,
    );
    expect(unknown).toMatchObject({ tokens: [], error: { reason: 'refused', status: 401 } });

    revokeInvite(issuer, code);
    const revoked = await new IssuerClient(settingsOf(issuer, { invite: code })).fetchTokens('presence', 1);
    expect(revoked).toMatchObject({ tokens: [], error: { reason: 'refused', status: 403 } });
    expect(revoked.error?.message).toMatch(/revoked/);
  });

  it('returns the tokens it got before the allowance ran out', async () => {
    const code = createInvite(issuer);
    const result = await new IssuerClient(settingsOf(issuer, { invite: code })).fetchTokens('task', 5);
    expect(result.tokens).toHaveLength(3);
    expect(result.error).toMatchObject({ reason: 'exhausted', status: 429 });
    expectAccepted(issuer, result.tokens, 'task');
    // It stopped at the first refusal.
    expect(
      tokenRequests(issuer)
        .slice(-4)
        .map((e) => e.status),
    ).toEqual([200, 200, 200, 429]);
  });
});

describe('the issuer client, open policy', () => {
  const BITS = 8;
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ policy: 'open', powBits: BITS });
  });
  afterAll(() => issuer?.stop());

  it('does the work a 401 asks for, then before each request of the call', async () => {
    const before = tokenRequests(issuer).length;
    const result = await new IssuerClient(settingsOf(issuer)).fetchTokens('task', 3);
    expect(result.error).toBeUndefined();
    expectAccepted(issuer, result.tokens, 'task');
    const requests = tokenRequests(issuer).slice(before);
    expect(requests.map((e) => [e.status, e.authorization?.split(' ')[0] ?? null])).toEqual([
      [401, null],
      [200, 'PoW'],
      [200, 'PoW'],
      [200, 'PoW'],
    ]);
    // The retry carries the same request, its proof bound to it.
    expect(requests[1]!.request).toEqual(requests[0]!.request);
  });

  it('is refused when the issuer asks more work than it does', async () => {
    const before = tokenRequests(issuer).length;
    const result = await new IssuerClient(settingsOf(issuer), { maxPowBits: BITS - 1 }).fetchTokens(
      'task',
      2,
    );
    expect(result).toMatchObject({ tokens: [], error: { reason: 'refused', status: 401 } });
    expect(result.error?.message).toMatch(/8 bits, more than 7/);
    expect(tokenRequests(issuer).length).toBe(before + 1);
  });
});
