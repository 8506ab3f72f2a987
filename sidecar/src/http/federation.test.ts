import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../protocol/app-config.ts';
import { NodeSecretSchema } from '../../../protocol/federation-identity.ts';
import { API_KEY, sidecarConfig, tempDir } from '../../../test/support/sidecar-in-process.ts';
import { appConfigFromEnv } from '../app-config.ts';
import { FEDERATION_SETTINGS_FILE } from '../federation-settings.ts';
import { startSidecar, type Sidecar } from '../server.ts';
import { FederationSecret } from '../federation-secret.ts';
import { mountConfig, mountFederationIdentity, mountFederationStatus, STALE_MS } from './federation.ts';
import { sampleFigures, sampleReport } from '../../../test/support/federation-status-sample.ts';

const stats = sampleFigures('2026-11-21T11:59:50Z', '2026-11-21T11:59:51.000Z');
const report = sampleReport(stats);

function app() {
  let now = Date.parse('2026-11-21T12:00:00Z');
  const hono = new Hono();
  mountConfig(hono, () => ({ federation: { enabled: false } }));
  mountFederationStatus(
    hono,
    () => ({ federation: { enabled: false } }),
    () => now,
  );
  const put = (body: unknown) =>
    hono.request('/api/federation/status', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = async (path = '/api/federation/status') => (await hono.request(path)).json();
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
    expect(await a.get()).toMatchObject({
      connected: false,
      state: 'UNKNOWN',
      stats,
      counters: report.counters,
    });
  });

  it('answers tasks/global and peers from the network figures the app last reported, and says where the feed is', async () => {
    const a = app();
    const none = await a.get('/api/federation/tasks/global');
    expect(none).toMatchObject({ stats: null, detail: expect.stringContaining('no network figures yet') });
    expect((await a.get('/api/federation/peers')).detail).toContain('Peers are not listed');
    await a.put(report);
    const global = await a.get('/api/federation/tasks/global');
    expect(global).toEqual({
      at: stats.at,
      receivedAt: stats.receivedAt,
      tasks: stats.tasks,
      outcomes: stats.outcomes,
      kinds: stats.kinds,
      feed: expect.stringContaining('/network'),
    });
    expect(global.feed).toContain('truebit.v1.feed');
    const peers = await a.get('/api/federation/peers');
    expect(peers).toEqual({
      at: stats.at,
      receivedAt: stats.receivedAt,
      activeNodes: 41,
      nodesToday: 57,
      regions: stats.regions,
      detail: expect.stringContaining('Peers are not listed'),
    });
    // Nothing of this node either: neither its pseudonym nor its counters.
    expect(JSON.stringify(peers)).not.toContain(report.nodeId);
    expect(JSON.stringify(global)).not.toContain(report.nodeId);
  });

  it('refuses bad reports with a reason and keeps the last good one', async () => {
    const a = app();
    await a.put(report);
    expect((await a.put('{')).status).toBe(400);
    const extra = await a.put({ ...report, address: '0xabc' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({ error: expect.stringContaining('invalid report') });
    expect((await a.put({ ...report, state: 'HAPPY' })).status).toBe(400);
    const big = await a.put({ ...report, counters: { ...report.counters, lastError: 'x'.repeat(5000) } });
    expect(big.status).toBe(413);
    expect(await a.get()).toMatchObject({ state: 'CONNECTED', counters: { sent: 12 } });
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

describe('the federation API of the real sidecar', () => {
  let dir: ReturnType<typeof tempDir>;
  let sidecar: Sidecar | undefined;
  beforeEach(() => void (dir = tempDir()));
  afterEach(async () => {
    await sidecar?.close();
    sidecar = undefined;
    dir.remove();
  });

  const ENV_URL = 'wss://env.example.org:443';
  const launch = async () =>
    (sidecar = await startSidecar({
      ...sidecarConfig(dir.dir),
      app: appConfigFromEnv({ FEDERATION_NATS_URL: ENV_URL, FEDERATION_HEARTBEAT_SECONDS: '60' }),
    }));
  const call = (path: string, init: RequestInit = {}, token = API_KEY) =>
    fetch(`${sidecar!.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
  const config = async () => (await (await fetch(`${sidecar!.url}/config.json`)).json()) as AppConfig;
  const settingsFile = () => join(dir.dir, 'data', FEDERATION_SETTINGS_FILE);

  it('answers GET /api/federation/status with the original fields, .connected a boolean, only with the token', async () => {
    await launch();
    expect((await call('/api/federation/status', {}, 'wrong-token')).status).toBe(401);
    const status = await (await call('/api/federation/status')).json();
    expect(typeof status.connected).toBe('boolean');
    expect(status).toMatchObject({ enabled: false, connected: false, nodeId: null, stats: null });
    expect((await call('/api/federation/enable', { method: 'POST' }, 'wrong-token')).status).toBe(401);
    expect(existsSync(settingsFile())).toBe(false);
  });

  it('enables and disables federation for the deployment: config.json says so at once, from the API', async () => {
    await launch();
    expect((await config()).federation).toEqual({ natsUrl: ENV_URL, heartbeatSeconds: 60 });
    const enabled = await call('/api/federation/enable', { method: 'POST' });
    expect(enabled.status).toBe(200);
    expect(await enabled.json()).toMatchObject({
      federation: { enabled: true, enabledBy: 'api', natsUrl: ENV_URL },
      set: { enabled: true },
      detail: expect.stringContaining('keeps that choice'),
    });
    expect((await config()).federation).toEqual({
      enabled: true,
      enabledBy: 'api',
      natsUrl: ENV_URL,
      heartbeatSeconds: 60,
    });
    expect(statSync(settingsFile()).mode & 0o777).toBe(0o600);
    expect((await (await call('/api/federation/status')).json()).enabled).toBe(true);
    await call('/api/federation/disable', { method: 'POST' });
    expect((await config()).federation).toMatchObject({ enabled: false, enabledBy: 'api' });
  });

  it('sets settings over the environment, drops one with null, and keeps them across a restart', async () => {
    await launch();
    const set = await call('/api/federation/settings', {
      method: 'POST',
      body: JSON.stringify({ natsUrl: 'wss://nats.example.net', heartbeatSeconds: 120, receive: false }),
    });
    expect(set.status).toBe(200);
    const expected = {
      federation: { natsUrl: 'wss://nats.example.net', heartbeatSeconds: 120, receive: false },
      set: { natsUrl: 'wss://nats.example.net', heartbeatSeconds: 120, receive: false },
      file: settingsFile(),
    };
    expect(await set.json()).toEqual(expected);
    await sidecar!.close();
    await launch();
    expect(await (await call('/api/federation/settings')).json()).toEqual(expected);
    expect(await config()).toEqual({
      federation: expected.federation,
      // The network page's server was the environment's federation server: it follows the one set here.
      network: { natsUrl: 'wss://nats.example.net', user: 'public', password: 'public' },
    });
    await call('/api/federation/settings', { method: 'POST', body: JSON.stringify({ natsUrl: null }) });
    expect(await config()).toEqual({
      federation: { natsUrl: ENV_URL, heartbeatSeconds: 120, receive: false },
      network: { natsUrl: ENV_URL, user: 'public', password: 'public' },
    });
  });

  it("keeps the network page's own server when NETWORK_NATS_URL names one", async () => {
    sidecar = await startSidecar({
      ...sidecarConfig(dir.dir),
      app: appConfigFromEnv({ FEDERATION_NATS_URL: ENV_URL, NETWORK_NATS_URL: 'wss://public.example.org' }),
    });
    await call('/api/federation/settings', {
      method: 'POST',
      body: JSON.stringify({ natsUrl: 'wss://other.example' }),
    });
    expect((await config()).network?.natsUrl).toBe('wss://public.example.org');
  });

  it('refuses bad settings with a clear 4xx and writes nothing', async () => {
    await launch();
    await call('/api/federation/settings', {
      method: 'POST',
      body: JSON.stringify({ heartbeatSeconds: 90 }),
    });
    const before = readFileSync(settingsFile(), 'utf8');
    const post = (body: string) => call('/api/federation/settings', { method: 'POST', body });
    const cases: [string, number, RegExp][] = [
      ['{', 400, /not JSON/],
      ['[]', 400, /invalid settings/],
      [JSON.stringify({ nodeName: 'my-node' }), 400, /invalid settings: nodeName/],
      [JSON.stringify({ enabledBy: 'api' }), 400, /invalid settings: enabledBy/],
      [
        JSON.stringify({ natsUrl: 'nats://nats.example.org:4222' }),
        400,
        /natsUrl: a ws:\/\/ or wss:\/\/ URL/,
      ],
      [JSON.stringify({ heartbeatSeconds: 0 }), 400, /heartbeatSeconds/],
      [JSON.stringify({ enabled: 'yes' }), 400, /enabled/],
      [JSON.stringify({ creds: 'x'.repeat(9000) }), 413, /larger than 8192 bytes/],
    ];
    for (const [body, status, error] of cases) {
      const response = await post(body);
      expect(response.status, body.slice(0, 40)).toBe(status);
      expect((await response.json()).error).toMatch(error);
    }
    expect(readFileSync(settingsFile(), 'utf8')).toBe(before);
    expect((await config()).federation).toEqual({ natsUrl: ENV_URL, heartbeatSeconds: 90 });
  });

  it('does not start on a settings file that holds something else, and says which and why', async () => {
    mkdirSync(join(dir.dir, 'data'), { recursive: true });
    writeFileSync(settingsFile(), JSON.stringify({ enabled: true, nodeName: 'x' }));
    await expect(launch()).rejects.toThrow(/federation-settings\.json: .*nodeName.*delete it/);
    writeFileSync(settingsFile(), '{');
    await expect(launch()).rejects.toThrow(/federation-settings\.json is not JSON/);
  });

  it('keeps the settings it has when the file cannot be written, and says so', async () => {
    await launch();
    await call('/api/federation/enable', { method: 'POST' });
    rmSync(join(dir.dir, 'data'), { recursive: true });
    writeFileSync(join(dir.dir, 'data'), 'not a directory');
    const response = await call('/api/federation/disable', { method: 'POST' });
    expect(response.status).toBe(500);
    expect((await response.json()).error).toMatch(/cannot write the settings to .*federation-settings\.json/);
    expect((await config()).federation).toMatchObject({ enabled: true });
  });

  it("keeps the node's invite for the token issuer out of config.json: only paired browsers get it, with the secret", async () => {
    sidecar = await startSidecar({
      ...sidecarConfig(dir.dir),
      app: appConfigFromEnv({
        FEDERATION_NATS_URL: ENV_URL,
        FEDERATION_ISSUER_URL: 'https://issuer.example.org',
        FEDERATION_ISSUER_INVITE: 'env-invite-0123',
      }),
    });
    expect((await config()).federation).toEqual({
      natsUrl: ENV_URL,
      issuerUrl: 'https://issuer.example.org',
    });
    expect((await call('/api/federation/identity', {}, 'wrong-token')).status).toBe(401);
    const identity = v.parse(NodeSecretSchema, await (await call('/api/federation/identity')).json());
    expect(identity.issuerInvite).toEqual({
      issuerUrl: 'https://issuer.example.org',
      code: 'env-invite-0123',
    });
    // One set through the API is kept the same way.
    await call('/api/federation/settings', {
      method: 'POST',
      body: JSON.stringify({ issuerInvite: 'api-invite' }),
    });
    expect(JSON.stringify(await config())).not.toContain('invite');
    const reset = await call('/api/federation/identity/reset', { method: 'POST' });
    expect(v.parse(NodeSecretSchema, await reset.json()).issuerInvite).toEqual({
      issuerUrl: 'https://issuer.example.org',
      code: 'api-invite',
    });
  });
});
