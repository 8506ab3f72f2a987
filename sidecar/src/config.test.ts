import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { DEFAULT_THRESHOLDS } from './health/judge.ts';

describe('configuration', () => {
  it('defaults: the docker source on runner-node, local only', () => {
    expect(loadConfig({})).toEqual({
      source: { kind: 'docker', containerName: 'runner-node', socketPath: '/var/run/docker.sock' },
      host: '127.0.0.1',
      port: 8090,
      dataDir: '.data',
      allowedOrigins: [],
      allowedHosts: [],
      staticDir: 'build',
      app: { federation: {}, network: { user: 'public', password: 'public' } },
      health: DEFAULT_THRESHOLDS,
    });
  });

  it('reads the health thresholds, and refuses one out of range', () => {
    expect(
      loadConfig({ HEALTH_STALE_MINUTES: '10', HEALTH_IDLE_MINUTES: '600', HEALTH_FAILURE_PERCENT: '25' })
        .health,
    ).toMatchObject({ staleMs: 600_000, idleMs: 36_000_000, failureShare: 0.25 });
    expect(() => loadConfig({ HEALTH_FAILURE_PERCENT: '150' })).toThrow(
      /HEALTH_FAILURE_PERCENT=150 must be a whole number from 1 to 100/,
    );
  });

  it('the demo defaults to the replay', () => {
    expect(loadConfig({}, { demo: true }).source).toEqual({ kind: 'replay', speed: 1 });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      SOURCE: 'file:/logs',
      HOST: '0.0.0.0',
      PORT: '9000',
      API_KEY: 'k'.repeat(20),
      TASK_DATA_PASSWORD: 'p'.repeat(20),
      DATA_DIR: '/data',
      ALLOWED_ORIGINS: 'https://tru.watch, http://localhost:5173',
      STATIC_DIR: '/app/build',
      ALLOWED_HOSTS: 'monitor.lan, [fd00::1]',
      FEDERATION_SECRET_FILE: '/run/secrets/federation-secret',
    });
    expect(config).toMatchObject({
      source: { kind: 'file', dir: '/logs' },
      host: '0.0.0.0',
      port: 9000,
      apiKey: 'k'.repeat(20),
      taskDataPassword: 'p'.repeat(20),
      dataDir: '/data',
      allowedOrigins: ['https://tru.watch', 'http://localhost:5173'],
      staticDir: '/app/build',
      allowedHosts: ['monitor.lan', '[fd00::1]'],
      federationSecretFile: '/run/secrets/federation-secret',
    });
    expect(loadConfig({ DOCKER_HOST: 'unix:///run/podman.sock', CONTAINER_NAME: 'node-1' }).source).toEqual({
      kind: 'docker',
      containerName: 'node-1',
      socketPath: '/run/podman.sock',
    });
  });

  it.each([
    [{ SOURCE: 'kafka' }, /SOURCE=kafka/],
    [{ SOURCE: 'file:' }, /directory/],
    [{ PORT: 'http' }, /PORT=http/],
    [{ API_KEY: 'short' }, /API_KEY must be at least 16/],
    [{ DOCKER_HOST: 'tcp://10.0.0.1:2375' }, /only unix sockets/],
    [{ ALLOWED_ORIGINS: 'tru.watch' }, /not an origin/],
    [{ ALLOWED_HOSTS: 'monitor.lan:8090' }, /ALLOWED_HOSTS/],
    [{ SOURCE: 'replay', REPLAY_SPEED: '0' }, /REPLAY_SPEED/],
    [{ CONTAINER_NAME: 'a b' }, /CONTAINER_NAME/],
    [{ FEDERATION_TASK_HOLD_SECONDS: '601' }, /FEDERATION_TASK_HOLD_SECONDS/],
  ])('refuses %o with a sentence naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('builds config.json from the federation variables', () => {
    const { app } = loadConfig({
      ENABLE_FEDERATION: 'true',
      FEDERATION_NATS_URL: 'wss://nats.example.org:443',
      FEDERATION_NATS_USER: 'monitor',
      FEDERATION_NATS_PASSWORD: 'monitor',
      FEDERATION_BROADCAST_TASKS: 'false',
      FEDERATION_BROADCAST_STATS: '1',
      FEDERATION_RECEIVE_ENABLED: '0',
      FEDERATION_TASK_RETENTION_DAYS: '14',
      FEDERATION_HEARTBEAT_SECONDS: '5',
      FEDERATION_ROUND_SECONDS: '2',
      FEDERATION_TASK_HOLD_SECONDS: '3',
      NETWORK_NATS_USER: 'viewer',
    });
    expect(app).toEqual({
      federation: {
        enabled: true,
        enabledBy: 'environment',
        natsUrl: 'wss://nats.example.org:443',
        user: 'monitor',
        password: 'monitor',
        broadcastTasks: false,
        broadcastStats: true,
        receive: false,
        taskRetentionDays: 14,
        heartbeatSeconds: 5,
        roundSeconds: 2,
        taskHoldSeconds: 3,
      },
      network: { natsUrl: 'wss://nats.example.org:443', user: 'viewer', password: 'public' },
    });
  });

  it('puts the .creds files FEDERATION_NATS_CREDS and NETWORK_NATS_CREDS name into config.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'truwatch-creds-'));
    try {
      const creds = (user: string) =>
        `-----BEGIN NATS USER JWT-----\neyJ.${user}.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSU${user}\n------END USER NKEY SEED------\n`;
      writeFileSync(join(dir, 'monitor.creds'), creds('monitor'));
      writeFileSync(join(dir, 'public.creds'), creds('public'));
      writeFileSync(join(dir, 'junk.creds'), 'not creds');
      const { app } = loadConfig({
        FEDERATION_NATS_CREDS: join(dir, 'monitor.creds'),
        NETWORK_NATS_CREDS: join(dir, 'public.creds'),
      });
      expect(app?.federation?.creds).toBe(creds('monitor'));
      expect(app?.network?.creds).toBe(creds('public'));
      expect(() => loadConfig({ FEDERATION_NATS_CREDS: join(dir, 'missing.creds') })).toThrow(
        /FEDERATION_NATS_CREDS=.*missing.creds: cannot read it \(ENOENT\)/,
      );
      expect(() => loadConfig({ NETWORK_NATS_CREDS: join(dir, 'junk.creds') })).toThrow(
        /NETWORK_NATS_CREDS: the text of a NATS .creds file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the federation variable that is wrong', () => {
    expect(() => loadConfig({ ENABLE_FEDERATION: 'yes please' })).toThrow(/ENABLE_FEDERATION/);
    expect(() => loadConfig({ FEDERATION_NATS_URL: 'http://x' })).toThrow(/FEDERATION_NATS_URL/);
    expect(() => loadConfig({ FEDERATION_TASK_RETENTION_DAYS: '0' })).toThrow(
      /FEDERATION_TASK_RETENTION_DAYS/,
    );
    expect(() => loadConfig({ FEDERATION_ROUND_SECONDS: '0' })).toThrow(/FEDERATION_ROUND_SECONDS/);
  });
});
