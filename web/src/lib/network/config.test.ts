import { describe, expect, it } from 'vitest';
import { loadNetworkConfig, resolveNetworkConfig, type NetworkServer } from './config.ts';

const defaults: NetworkServer = { natsUrl: 'ws://127.0.0.1:9222', user: 'public', password: 'public' };
const respond =
  (body: string, init: ResponseInit = {}) =>
  async () =>
    new Response(body, { headers: { 'content-type': 'application/json' }, ...init });

describe('resolveNetworkConfig', () => {
  it('overrides the defaults field by field', () => {
    expect(resolveNetworkConfig(defaults, { network: { natsUrl: 'wss://nats.tru.watch:443' } })).toEqual({
      server: { ...defaults, natsUrl: 'wss://nats.tru.watch:443' },
    });
    expect(resolveNetworkConfig(defaults, { federation: { enabled: true } })).toEqual({ server: defaults });
    expect(resolveNetworkConfig(defaults, undefined)).toEqual({ server: defaults });
  });

  it("takes the public user's .creds (decentralized auth) and refuses text that is not one", () => {
    const creds =
      '-----BEGIN NATS USER JWT-----\neyJ0.e30.sig\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUAB\n------END USER NKEY SEED------\n';
    expect(resolveNetworkConfig(defaults, { network: { creds } })).toEqual({
      server: { ...defaults, creds },
    });
    const junk = resolveNetworkConfig(defaults, { network: { creds: 'public' } });
    expect(junk.server).toEqual(defaults);
    expect(junk.problem).toMatch(/network\.creds: the text of a NATS \.creds file/);
  });

  it('refuses an invalid file as a whole and says where it is wrong', () => {
    const result = resolveNetworkConfig(defaults, { network: { natsUrl: 'http://x', user: 'u' } });
    expect(result.server).toEqual(defaults);
    expect(result.problem).toMatch(
      /^config\.json is invalid \(network\.natsUrl: a ws:\/\/ or wss:\/\/ URL\)/,
    );
  });
});

describe('loadNetworkConfig', () => {
  it('reads config.json beside the page', async () => {
    const fetchImpl = respond(JSON.stringify({ network: { user: 'reader', password: 'pw' } }));
    expect(await loadNetworkConfig('/config.json', defaults, fetchImpl)).toEqual({
      server: { ...defaults, user: 'reader', password: 'pw' },
    });
  });

  it('uses the defaults when there is no file: 404, the app shell instead, or no answer', async () => {
    const missing = respond('not found', { status: 404 });
    const shell = respond('<!doctype html>', { headers: { 'content-type': 'text/html' } });
    const offline = async () => Promise.reject(new TypeError('Failed to fetch'));
    for (const fetchImpl of [missing, shell, offline]) {
      expect(await loadNetworkConfig('/config.json', defaults, fetchImpl)).toEqual({ server: defaults });
    }
  });

  it('reports a file that is not JSON', async () => {
    const result = await loadNetworkConfig('/config.json', defaults, respond('{"network": '));
    expect(result.server).toEqual(defaults);
    expect(result.problem).toMatch(/^config\.json is not JSON/);
  });
});
