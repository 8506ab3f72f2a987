import { AuthorizationError, ConnectionError, TimeoutError } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { readConfig } from './config.ts';
import { explainConnectError } from './connect.ts';

describe('what a failed connection says', () => {
  const config = readConfig({ NATS_PASSWORD: 'x', NATS_URL: 'tls://a:4222', NATS_CA: '/ca.pem' });

  it('waits for a server that is not up or not reachable yet', () => {
    expect(explainConnectError(new ConnectionError('connection refused'), config)).toBeUndefined();
    expect(explainConnectError(new TimeoutError(), config)).toBeUndefined();
  });

  it('names the credentials the server refused', () => {
    const refused = new AuthorizationError('Authorization Violation');
    expect(explainConnectError(refused, config)?.message).toMatch(
      /refused the aggregator's credentials \(user "aggregator" with NATS_PASSWORD\)/,
    );
    const creds = readConfig({ NATS_CREDS: '/run/secrets/a.creds' });
    expect(explainConnectError(refused, creds)?.message).toMatch(/NATS_CREDS \(\/run\/secrets\/a\.creds\)/);
  });

  it('says to set NATS_CA when a server certificate is not trusted', () => {
    const untrusted = new Error('self-signed certificate in certificate chain');
    expect(explainConnectError(untrusted, readConfig({ NATS_PASSWORD: 'x' }))?.message).toMatch(
      /TLS certificate is not trusted.*set NATS_CA/,
    );
    expect(explainConnectError(untrusted, config)?.message).toMatch(/NATS_CA \(\/ca\.pem\) did not sign it/);
  });
});
