import { describe, expect, it } from 'vitest';
import { SPENT_MAX_TOKENS, natsConnection, readConfig } from './config.ts';

describe('the aggregator configuration', () => {
  it('reads the environment with defaults', () => {
    const config = readConfig({ NATS_PASSWORD: 'x', HTTP_PORT: '9000', REPLICAS: '3' });
    expect(config).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      natsUser: 'aggregator',
      httpPort: 9000,
      replicas: 3,
    });
    expect(config.statsIntervalMs).toBe(10_000);
    expect(config.workers).toBe(1);
    expect(readConfig({ NATS_PASSWORD: 'x' }).workers).toBe(2);
  });

  it('refuses a missing password and a value that is not a number', () => {
    expect(() => readConfig({})).toThrow(/NATS_PASSWORD is required/);
    expect(readConfig({ NATS_CREDS: '/run/secrets/aggregator.creds' }).natsCreds).toBe(
      '/run/secrets/aggregator.creds',
    );
    expect(() => readConfig({ NATS_PASSWORD: 'x', BATCH_SIZE: 'lots' })).toThrow(
      /BATCH_SIZE must be a number/,
    );
  });

  it('trusts the CA in NATS_CA', () => {
    const config = readConfig({
      NATS_PASSWORD: 'x',
      NATS_URL: 'tls://a:4222,tls://b:4222',
      NATS_CA: '/ca.pem',
    });
    expect(natsConnection(config)).toMatchObject({
      servers: ['tls://a:4222', 'tls://b:4222'],
      tls: { caFile: '/ca.pem' },
    });
    expect(natsConnection(readConfig({ NATS_PASSWORD: 'x' }))).not.toHaveProperty('tls');
  });

  it('requires tokens only with a keys file, and then the issuer name', () => {
    expect(readConfig({ NATS_PASSWORD: 'x' })).not.toHaveProperty('tokens');
    expect(() => readConfig({ NATS_PASSWORD: 'x', TOKEN_KEYS: '/keys.json' })).toThrow(
      /ISSUER_NAME is required with TOKEN_KEYS/,
    );
    expect(
      readConfig({ NATS_PASSWORD: 'x', TOKEN_KEYS: '/keys.json', ISSUER_NAME: 'issuer.example' }).tokens,
    ).toEqual({ keysFile: '/keys.json', issuerName: 'issuer.example', spentMaxTokens: SPENT_MAX_TOKENS });
  });
});
