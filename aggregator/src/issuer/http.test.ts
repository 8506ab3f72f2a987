import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ISSUER_DIRECTORY_PATH,
  MEDIA_TYPE_TOKEN_REQUEST,
  type IssuerDirectory,
} from '../../../protocol/private-token.ts';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';
import { weekStart, WEEK_MS } from './weeks.ts';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer({ policy: 'dev' });
});
afterAll(() => issuer?.stop());

function post(
  bytes: Uint8Array | ReadableStream,
  contentType = MEDIA_TYPE_TOKEN_REQUEST,
  headers: Record<string, string> = {},
) {
  return fetch(`${issuer.url}/token-request`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: bytes instanceof Uint8Array ? new Uint8Array(bytes) : bytes,
    duplex: 'half',
  } as RequestInit);
}

/** A token request for this week's key of `kind`, with a blinded message of our choosing. */
function request(kind: 'presence' | 'task', blinded: Uint8Array, tokenType = 2): Uint8Array {
  const key = issuer.keys
    .keys(Date.now())
    .find((k) => k.kind === kind && k.weekStart === weekStart(Date.now()))!;
  return new Uint8Array([tokenType >> 8, tokenType & 0xff, key.tokenKeyId.at(-1)!, ...blinded]);
}

describe('the issuer’s HTTP API', () => {
  it('answers an app of any origin, with no browser credentials, and lets it read why it was refused', async () => {
    const origin = 'https://app.example';
    const preflight = await fetch(`${issuer.url}/token-request`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const directory = await fetch(`${issuer.url}${ISSUER_DIRECTORY_PATH}`, { headers: { origin } });
    expect(directory.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await post(new Uint8Array(10), MEDIA_TYPE_TOKEN_REQUEST, { origin });
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    expect(refused.headers.get('access-control-expose-headers')).toContain('www-authenticate');
  });

  it('publishes its keys in an RFC 9578 directory, each with its kind, and its own name', async () => {
    const response = await fetch(`${issuer.url}${ISSUER_DIRECTORY_PATH}`);
    expect(response.headers.get('content-type')).toBe('application/private-token-issuer-directory');
    const directory = (await response.json()) as IssuerDirectory;
    expect(directory['issuer-request-uri']).toBe('/token-request');
    expect(directory['truwatch-issuer-name']).toBe(issuer.config.issuerName);
    expect(issuer.config.issuerName).toBe('issuer.test');
    const monday = weekStart(Date.now()) / 1000;
    expect(directory['token-keys'].map((k) => [k['truwatch-kind'], k['not-before'] - monday])).toEqual([
      ['presence', 0],
      ['task', 0],
      ['presence', WEEK_MS / 1000],
      ['task', WEEK_MS / 1000],
      ['presence', (2 * WEEK_MS) / 1000],
      ['task', (2 * WEEK_MS) / 1000],
    ]);
    for (const key of directory['token-keys']) {
      expect(key['token-type']).toBe(2);
      expect(Buffer.from(key['token-key'], 'base64url')).toHaveLength(342);
    }
  });

  it('issues presence and task tokens to the library’s client (dev policy: no attestation)', async () => {
    expect(await fetchToken(issuer.url, issuer.config.issuerName, 'presence')).toHaveLength(354);
    expect(await fetchToken(issuer.url, issuer.config.issuerName, 'task')).toHaveLength(354);
  });

  it('refuses bad requests with a clear 4xx and stays up', async () => {
    const blinded = new Uint8Array(256).fill(1);
    const cases: [Promise<Response>, number, RegExp][] = [
      [post(request('presence', blinded), 'application/octet-stream'), 415, /Content-Type must be/],
      [post(request('presence', blinded).subarray(1)), 400, /259 bytes/],
      [post(new Uint8Array([...request('presence', blinded), 0])), 400, /259 bytes/],
      [post(request('presence', blinded, 0xda7a)), 400, /token type 2/],
      [post(new Uint8Array(100_000)), 413, /259 bytes/],
      [
        post(
          new ReadableStream({
            start(controller) {
              for (let i = 0; i < 100; i++) controller.enqueue(new Uint8Array(1000));
              controller.close();
            },
          }),
        ),
        413,
        /259 bytes/,
      ],
      [post(request('task', new Uint8Array(256).fill(0xff))), 400, /below the modulus/],
      [
        post(new Uint8Array([0, 2, issuer.keys.keys(Date.now()).at(-1)!.tokenKeyId.at(-1)!, ...blinded])),
        400,
        /no key of this week/,
      ],
      [fetch(`${issuer.url}/token-request`), 404, /./],
    ];
    for (const [pending, status, text] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(await response.text()).toMatch(text);
    }
    const ok = await post(request('presence', blinded));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/private-token-response');
    expect((await ok.arrayBuffer()).byteLength).toBe(256);
  });
});
