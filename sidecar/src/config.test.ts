import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

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
    });
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
  ])('refuses %o with a sentence naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
