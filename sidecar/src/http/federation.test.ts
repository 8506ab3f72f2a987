import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeSecretSchema } from '../../../protocol/federation-identity.ts';
import { FederationSecret } from '../federation-secret.ts';
import { mountConfig, mountFederationIdentity, mountFederationStatus, STALE_MS } from './federation.ts';

const report = {
  enabled: true,
  connected: true,
  state: 'CONNECTED',
  nodeId: '0123456789abcdef0123456789abcdef',
  stats: { sent: 12, refused: 1, errors: 0, lastError: null },
};

function app() {
  let now = Date.parse('2026-11-21T12:00:00Z');
  const hono = new Hono();
  mountConfig(hono, { federation: { enabled: false } });
  mountFederationStatus(hono, { federation: { enabled: false } }, () => now);
  const put = (body: unknown) =>
    hono.request('/api/federation/status', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = async () => (await hono.request('/api/federation/status')).json();
  return { hono, put, get, later: (ms: number) => (now += ms) };
}

describe('federation status API', () => {
  it('says UNKNOWN until the app reports, then what it reported, until the report is stale', async () => {
    const a = app();
    expect(await a.get()).toMatchObject({
      enabled: false,
      connected: false,
      state: 'UNKNOWN',
      reportedAt: null,
    });
    expect((await a.put(report)).status).toBe(204);
    expect(await a.get()).toEqual({ ...report, reportedAt: '2026-11-21T12:00:00.000Z' });
    a.later(STALE_MS + 1);
    expect(await a.get()).toMatchObject({ connected: false, state: 'UNKNOWN', stats: report.stats });
  });

  it('refuses bad reports with a reason and keeps the last good one', async () => {
    const a = app();
    await a.put(report);
    expect((await a.put('{')).status).toBe(400);
    const extra = await a.put({ ...report, address: '0xabc' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({ error: expect.stringContaining('invalid report') });
    expect((await a.put({ ...report, state: 'HAPPY' })).status).toBe(400);
    const big = await a.put({ ...report, stats: { ...report.stats, lastError: 'x'.repeat(5000) } });
    expect(big.status).toBe(413);
    expect(await a.get()).toMatchObject({ state: 'CONNECTED', stats: { sent: 12 } });
  });

  it('serves config.json uncached', async () => {
    const response = await app().hono.request('/config.json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ federation: { enabled: false } });
  });
});

describe('federation identity API', () => {
  let dir: string;
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'truwatch-fed-identity-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function identityApp() {
    const secret = FederationSecret.open(join(dir, 'data', 'federation-secret'));
    const hono = new Hono();
    mountFederationIdentity(hono, secret);
    return { hono, secret };
  }

  it("answers the node's secret uncached, the same every time, until a reset makes a new one", async () => {
    const { hono, secret } = identityApp();
    const get = () => hono.request('/api/federation/identity');
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const body = v.parse(NodeSecretSchema, await first.json());
    expect(body).toEqual(secret.current());
    expect(await (await get()).json()).toEqual(body);

    const reset = await hono.request('/api/federation/identity/reset', { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(reset.headers.get('cache-control')).toBe('no-store');
    const fresh = v.parse(NodeSecretSchema, await reset.json());
    expect(fresh.secret).not.toBe(body.secret);
    expect(await (await get()).json()).toEqual(fresh);
    expect((await hono.request('/api/federation/identity/reset')).status).toBe(404);
  });

  it('says why a reset failed, and keeps answering the secret it has', async () => {
    const { hono, secret } = identityApp();
    const before = secret.current();
    rmSync(join(dir, 'data'), { recursive: true });
    const reset = await hono.request('/api/federation/identity/reset', { method: 'POST' });
    expect(reset.status).toBe(500);
    expect(await reset.json()).toEqual({
      error: `cannot write a new secret to ${join(dir, 'data', 'federation-secret')} (ENOENT)`,
    });
    expect(await (await hono.request('/api/federation/identity')).json()).toEqual(before);
  });
});
