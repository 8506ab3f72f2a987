// The app's issuer client against the real issuer (aggregator/src/issuer, in this process over HTTP) with the
// real Privacy Pass library: the tokens it fetches pass the message schema and the aggregator's own check, and
// each refusal of the issuer is the error the service is told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { TokenSchema } from '../../../../../protocol/federation.ts';
import {
  decodeToken,
  ISSUER_DIRECTORY_PATH,
  keyPin,
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
import { issuerNameOf } from '../settings.ts';
import { IssuerClient, type FetchedToken, type IssuerSettings } from './issuer-client.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
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

/** The issuer's published keys of `kind`, this week's first, each with its pin. */
function publishedKeys(issuer: TestIssuer, kind: TokenKind) {
  return issuer.keys
    .published(Date.now())
    .filter((k) => k.kind === kind)
    .sort((a, b) => a.weekStart - b.weekStart)
    .map((k) => ({
      ...k,
      id: k.tokenKeyId.toString('hex'),
      pin: keyPin(k.weekStart, k.tokenKeyId.toString('hex')),
    }));
}

/** The pins of every key the issuer publishes, both kinds, each for its own week: what a deployment sets. */
const allPins = (issuer: TestIssuer) => [
  ...publishedKeys(issuer, 'presence').map((k) => k.pin),
  ...publishedKeys(issuer, 'task').map((k) => k.pin),
];

/** A fetcher that serves `edit(the real directory)` and passes everything else to the real issuer. */
function editedDirectory(edit: (directory: IssuerDirectory) => unknown) {
  const requests: { url: string; method: string; authorization: string | null }[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const url = String(input);
    const authorization = new Headers(init?.headers).get('authorization');
    requests.push({ url, method: init?.method ?? 'GET', authorization });
    const response = await fetch(input, init);
    if (!url.endsWith(ISSUER_DIRECTORY_PATH)) return response;
    return Response.json(edit((await response.json()) as IssuerDirectory));
  };
  return { fetcher, requests };
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

  it('fetches under a key pinned for this week, and makes no token request for one that is not', async () => {
    const key = currentKey(issuer, 'task');
    const monday = keyPin(key.weekStart, '').slice(0, 10);
    const pinned = await new IssuerClient(
      settingsOf(issuer, { pins: [`${monday}:${'00'.repeat(32)}`, ` ${monday}:${key.id.toUpperCase()}`] }),
    ).fetchTokens('task', 1);
    expect(pinned.error).toBeUndefined();
    expect(pinned.tokens).toHaveLength(1);
    const everything = await new IssuerClient(settingsOf(issuer, { pins: allPins(issuer) })).fetchTokens(
      'task',
      1,
    );
    expect(everything.error).toBeUndefined();

    const requestsBefore = tokenRequests(issuer).length;
    for (const pins of [
      [keyPin(key.weekStart, currentKey(issuer, 'presence').id)], // another key
      [keyPin(key.weekStart + WEEK_MS, key.id), keyPin(key.weekStart - WEEK_MS, key.id)], // other weeks
      [key.id], // no week: not a pin
      [],
    ]) {
      const other = await new IssuerClient(settingsOf(issuer, { pins })).fetchTokens('task', 3);
      expect(other.tokens).toEqual([]);
      expect(other.error?.reason).toBe('key_not_pinned');
      expect(other.error?.message).toContain(`no pin ${monday}:${key.id}`);
    }
    expect(tokenRequests(issuer).length).toBe(requestsBefore);
  });

  it('refuses a coming week’s pinned key shown as this week’s, before any token request', async () => {
    // The review's attack: every key pinned, and one client shown next week's key dated this Monday.
    const [current, next] = publishedKeys(issuer, 'task');
    const { fetcher, requests } = editedDirectory((real) => ({
      ...real,
      'token-keys': real['token-keys'].map((entry) =>
        entry['truwatch-kind'] === 'task' && entry['not-before'] === current!.weekStart / 1000
          ? { ...entry, 'token-key': next!.tokenKey.toString('base64url') }
          : entry,
      ),
    }));
    const result = await new IssuerClient(settingsOf(issuer, { pins: allPins(issuer) }), {
      fetcher,
    }).fetchTokens('task', 2);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'key_not_pinned' } });
    expect(result.error?.message).toContain(next!.id);
    expect(requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('uses only the key dated this week’s Monday, never an older or a coming week’s', async () => {
    const [current, next] = publishedKeys(issuer, 'task');
    // A client whose week is the next one, shown a directory without next week's keys: this week's key (still
    // pinned for this week) is not its week's.
    const nextWeek = () => next!.weekStart + DAY_MS;
    const withoutNext = editedDirectory((real) => ({
      ...real,
      'token-keys': real['token-keys'].filter((k) => k['not-before'] !== next!.weekStart / 1000),
    }));
    const stale = await new IssuerClient(settingsOf(issuer, { pins: allPins(issuer) }), {
      fetcher: withoutNext.fetcher,
      now: nextWeek,
    }).fetchTokens('task', 1);
    expect(stale).toMatchObject({ tokens: [], error: { reason: 'no_key' } });
    expect(withoutNext.requests.map((r) => r.method)).toEqual(['GET']);

    // This week's key dated a second into its week, or a week early: not this week's, pins or none.
    for (const shift of [1, -WEEK_MS / 1000]) {
      const { fetcher, requests } = editedDirectory((real) => ({
        ...real,
        'token-keys': real['token-keys'].map((k) =>
          k['not-before'] === current!.weekStart / 1000 ? { ...k, 'not-before': k['not-before'] + shift } : k,
        ),
      }));
      const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 1);
      expect(result).toMatchObject({ tokens: [], error: { reason: 'no_key' } });
      expect(requests.map((r) => r.method)).toEqual(['GET']);
    }

    // Two keys of the kind for this week: refused, whichever is pinned.
    const doubled = editedDirectory((real) => ({
      ...real,
      'token-keys': [
        ...real['token-keys'],
        {
          'token-type': 2,
          'token-key': next!.tokenKey.toString('base64url'),
          'not-before': current!.weekStart / 1000,
          'truwatch-kind': 'task',
        },
      ],
    }));
    const two = await new IssuerClient(settingsOf(issuer, { pins: allPins(issuer) }), {
      fetcher: doubled.fetcher,
    }).fetchTokens('task', 1);
    expect(two).toMatchObject({ tokens: [], error: { reason: 'bad_directory' } });
    expect(two.error?.message).toMatch(/2 task keys for the week of/);
    expect(doubled.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('sends token requests only to the issuer’s own origin', async () => {
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const sameHostName = issuer.url.replace('127.0.0.1', 'localhost');
    for (const uri of [
      `${elsewhere}/token-request`,
      `${sameHostName}/token-request`,
      '//evil.example/token-request',
      'https://issuer.test/token-request',
    ]) {
      const { fetcher, requests } = editedDirectory((real) => ({ ...real, 'issuer-request-uri': uri }));
      const result = await new IssuerClient(settingsOf(issuer, { invite: 'secret-invite' }), {
        fetcher,
      }).fetchTokens('task', 1);
      expect(result).toMatchObject({ tokens: [], error: { reason: 'bad_directory' } });
      expect(result.error?.message).toContain(`not to the issuer’s ${issuer.url}`);
      expect(requests).toEqual([
        { url: `${issuer.url}${ISSUER_DIRECTORY_PATH}`, method: 'GET', authorization: null },
      ]);
    }
    // The same origin written in full is the issuer's.
    const { fetcher } = editedDirectory((real) => ({
      ...real,
      'issuer-request-uri': `${issuer.url}${TOKEN_REQUEST_PATH}`,
    }));
    const result = await new IssuerClient(settingsOf(issuer), { fetcher }).fetchTokens('task', 1);
    expect(result.error).toBeUndefined();
    expectAccepted(issuer, result.tokens, 'task');
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

describe('the issuer client, an issuer that names itself', () => {
  // federation:dev's issuer: named `localhost`, reached at 127.0.0.1.
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ policy: 'dev', issuerName: 'localhost' });
  });
  afterAll(() => issuer?.stop());

  it('publishes its name in its directory', async () => {
    expect((await directoryOf(issuer))['truwatch-issuer-name']).toBe('localhost');
  });

  it('refuses to fetch under another name than the issuer’s, and never takes the directory’s', async () => {
    const name = issuerNameOf({ issuerUrl: issuer.url, issuerName: '' });
    expect(name).toBe('127.0.0.1');
    const before = issuer.exchanges.length;
    const result = await new IssuerClient(settingsOf(issuer, { name })).fetchTokens('task', 2);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'wrong_name' } });
    expect(result.error?.message).toBe(
      'the issuer calls itself "localhost", not "127.0.0.1": check the issuer URL and name against those the federation publishes (a host that gives one node a name of its own could tell its tokens apart)',
    );
    expect(issuer.exchanges.slice(before).map((e) => e.path)).toEqual([ISSUER_DIRECTORY_PATH]);

    // Named as it names itself: the tokens are the aggregator's.
    const named = await new IssuerClient(
      settingsOf(issuer, { name: issuerNameOf({ issuerUrl: issuer.url, issuerName: 'localhost' }) }),
    ).fetchTokens('task', 2);
    expect(named.error).toBeUndefined();
    expectAccepted(issuer, named.tokens, 'task');
  });

  it('checks no name where the directory gives none (and then the tokens may be refused later)', async () => {
    const { fetcher } = editedDirectory((real) => {
      const { 'truwatch-issuer-name': _name, ...rest } = real;
      return rest;
    });
    const result = await new IssuerClient(settingsOf(issuer, { name: '127.0.0.1' }), { fetcher }).fetchTokens(
      'task',
      1,
    );
    expect(result.error).toBeUndefined();
    expect(issuerVerifier(issuer).verify(bytes(result.tokens[0]!.token), 'task')).toMatchObject({
      ok: false,
    });
    // A name that is not text is no directory.
    const junk = editedDirectory((real) => ({ ...real, 'truwatch-issuer-name': ['localhost'] }));
    const refused = await new IssuerClient(settingsOf(issuer), { fetcher: junk.fetcher }).fetchTokens(
      'task',
      1,
    );
    expect(refused.error?.reason).toBe('bad_directory');
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

describe('the issuer client, open policy asking more than 20 bits', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer({ policy: 'open', powBits: 21 });
  });
  afterAll(() => issuer?.stop());

  it('does at most 20 bits of work by default (a round may fetch 2 000 tokens)', async () => {
    const result = await new IssuerClient(settingsOf(issuer)).fetchTokens('task', 1);
    expect(result).toMatchObject({ tokens: [], error: { reason: 'refused', status: 401 } });
    expect(result.error?.message).toMatch(/21 bits, more than 20/);
    expect(tokenRequests(issuer)).toHaveLength(1);
  });
});
