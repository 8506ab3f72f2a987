// The original monitor's variables, as an operator with its docs sets them.
import { describe, expect, it } from 'vitest';
import { runSidecarCommand } from '../../test/support/sidecar-process.ts';
import { ConfigError, loadConfig } from './config.ts';

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe("the original monitor's variables", () => {
  it('reads FEDERATION_SEED_URL as FEDERATION_NATS_URL, and refuses the two set apart', () => {
    const config = loadConfig({ FEDERATION_SEED_URL: 'wss://nats.tru.watch' });
    expect(config.app?.federation?.natsUrl).toBe('wss://nats.tru.watch');
    expect(config.app?.network?.natsUrl).toBe('wss://nats.tru.watch');
    expect(
      loadConfig({ FEDERATION_SEED_URL: 'wss://a.example', FEDERATION_NATS_URL: 'wss://a.example' }).app
        ?.federation?.natsUrl,
    ).toBe('wss://a.example');
    expect(
      refusal({ FEDERATION_SEED_URL: 'wss://a.example', FEDERATION_NATS_URL: 'wss://b.example' }),
    ).toMatch(
      /FEDERATION_SEED_URL .* and FEDERATION_NATS_URL are both set, to different values: keep FEDERATION_NATS_URL/,
    );
  });

  it('says why a nats:// URL cannot serve browsers', () => {
    expect(refusal({ FEDERATION_SEED_URL: 'nats://nats.truebit.io:4222' })).toMatch(
      /^FEDERATION_NATS_URL=nats:\/\/nats\.truebit\.io:4222: browsers reach NATS only over WebSocket: .*wss:\/\//,
    );
    expect(refusal({ NETWORK_NATS_URL: 'tls://n.example:4222' })).toMatch(
      /^NETWORK_NATS_URL=.*only over WebSocket/,
    );
  });

  it('reads FEDERATION_BROADCAST_INTERVAL_MS as the heartbeat interval in seconds', () => {
    expect(loadConfig({ FEDERATION_BROADCAST_INTERVAL_MS: '30000' }).app?.federation?.heartbeatSeconds).toBe(
      30,
    );
    expect(refusal({ FEDERATION_BROADCAST_INTERVAL_MS: '1500' })).toMatch(/whole seconds/);
  });

  it("reads LOG_RETENTION_DAYS as the app's default retention, in config.json", () => {
    expect(loadConfig({ LOG_RETENTION_DAYS: '7' }).app?.monitor).toEqual({ retentionDays: 7 });
    expect(loadConfig({}).app?.monitor).toBeUndefined();
    expect(refusal({ LOG_RETENTION_DAYS: '-3' })).toMatch(/^LOG_RETENTION_DAYS: /);
  });

  it('honours FEDERATION_TLS_ENABLED as a check of the URL', () => {
    expect(
      loadConfig({ FEDERATION_TLS_ENABLED: 'true', FEDERATION_NATS_URL: 'wss://a.example' }),
    ).toBeDefined();
    expect(refusal({ FEDERATION_TLS_ENABLED: 'true', FEDERATION_NATS_URL: 'ws://a.example' })).toMatch(
      /TLS is the URL's scheme here/,
    );
    expect(refusal({ FEDERATION_TLS_ENABLED: 'yes' })).toMatch(/must be true or false/);
  });

  it('refuses those with no equivalent, saying what replaces them', () => {
    expect(refusal({ DB_PATH: '/data/monitor.db' })).toMatch(
      /^DB_PATH is not used: the history lives in your browser/,
    );
    expect(refusal({ FEDERATION_NODE_ID: 'node-1' })).toMatch(/pseudonym that changes every day/);
    expect(refusal({ FEDERATION_RECONNECT_TIMEOUT: '5000' })).toMatch(/reconnects by itself/);
    expect(refusal({ WS_PORT: '8091' })).toMatch(
      /^WS_PORT is not used: there is no WebSocket server: .*\/api\/events/,
    );
    expect(refusal({ ALLOWED_ORIGINS: '*' })).toMatch(/^ALLOWED_ORIGINS=\* would let every web page/);
    // Set but empty, as a compose file's `VAR=` leaves it: nothing to refuse.
    expect(loadConfig({ DB_PATH: '', WS_PORT: ' ' })).toBeDefined();
  });

  it('stops the sidecar with that one line and exit 2', async () => {
    const result = await runSidecarCommand([], { SOURCE: 'replay', DB_PATH: '/data/monitor.db' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^truwatch: configuration error: DB_PATH is not used: .* Remove it\.$/),
    ]);
  });
});
