import { describe, expect, it, vi } from 'vitest';
import { SidecarIdentity, sameSecret } from './sidecar-identity.ts';

const pairing = { baseUrl: 'http://127.0.0.1:8090', token: 't0k3n' };
const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3);
const answer = { secret: Buffer.from(bytes).toString('base64url'), since: '2026-11-21T10:41:12.000Z' };

/** A sidecar that answers every request with `response()`, recording what was asked. */
function sidecar(response: () => Response | Promise<Response>) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetcher = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init });
    return response();
  });
  return { identity: new SidecarIdentity(pairing, fetcher), requests };
}

describe("the node's secret from the sidecar", () => {
  it('is asked with the token, uncached and with a time limit, and decoded to its 32 bytes', async () => {
    const { identity, requests } = sidecar(() => Response.json(answer));
    expect(await identity.current()).toEqual({ ok: true, secret: bytes, since: answer.since });
    expect(await identity.reset()).toMatchObject({ ok: true });
    expect(requests.map((r) => `${r.init?.method} ${r.url}`)).toEqual([
      'GET http://127.0.0.1:8090/api/federation/identity',
      'POST http://127.0.0.1:8090/api/federation/identity/reset',
    ]);
    for (const { init } of requests) {
      expect(init?.headers).toEqual({ authorization: 'Bearer t0k3n' });
      expect(init?.cache).toBe('no-store');
      expect(init?.signal).toBeInstanceOf(AbortSignal);
    }
  });

  it.each([
    ['no answer', () => Promise.reject(new TypeError('Failed to fetch')), 'unreachable', /Failed to fetch/],
    ['a server error', () => Response.json({ error: 'disk' }, { status: 500 }), 'unreachable', /500/],
    ['a wrong token', () => Response.json({ error: 'invalid token' }, { status: 401 }), 'refused', /401/],
    ['an older sidecar', () => Response.json({ error: 'not found' }, { status: 404 }), 'absent', /older/],
    ['not JSON', () => new Response('<html>'), 'invalid', /without a node secret/],
    ['a short secret', () => Response.json({ ...answer, secret: 'c2hvcnQ' }), 'invalid', /32 bytes/],
    ['one key more', () => Response.json({ ...answer, node: 'x' }), 'invalid', /without a node secret/],
    ['a huge answer', () => Response.json({ ...answer, pad: 'x'.repeat(100_000) }), 'invalid', /without/],
  ] as const)('says what went wrong for %s', async (_, response, reason, detail) => {
    const result = await sidecar(response).identity.current();
    expect(result).toMatchObject({ ok: false, reason });
    expect(!result.ok && result.detail).toMatch(detail);
  });

  it('compares secrets byte by byte', () => {
    expect(sameSecret(bytes, new Uint8Array(bytes))).toBe(true);
    expect(
      sameSecret(
        bytes,
        bytes.map((b, i) => (i === 31 ? b ^ 1 : b)),
      ),
    ).toBe(false);
    expect(sameSecret(bytes, bytes.slice(1))).toBe(false);
  });
});
