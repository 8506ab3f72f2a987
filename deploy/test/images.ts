// Test helpers for the container images and compose files: podman's state in one cached directory (base
// images take a minute to make, then seconds), scripts/ci-image.sh for what it does (base images, builds,
// compose), and checks that nothing changed the host's firewall.
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import { expect } from 'vitest';
import { startEngine, type Engine } from '../../test/support/podman-engine.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const IMAGES_DIR = process.env.TRUWATCH_IMAGES_DIR ?? '/var/tmp/truwatch-images';
export const CI_IMAGE = `${ROOT}scripts/ci-image.sh`;
export { ROOT };

/** podman's Docker API and storage in IMAGES_DIR (the same socket scripts/ci-image.sh uses). */
export function startImagesEngine(): Promise<Engine> {
  return startEngine({ dir: IMAGES_DIR });
}

/** Runs `scripts/ci-image.sh <args>`; resolves with its stdout, rejects with its stderr's end. */
export function ciImage(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [CI_IMAGE, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, TRUWATCH_IMAGES_DIR: IMAGES_DIR, ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`ci-image.sh ${args.join(' ')}: ${error.message}\n${stderr.slice(-4000)}`));
        else resolve(stdout);
      },
    );
  });
}

/** The host's firewall rules without their counters (which move with every packet), and ip_forward: a bridge network would change them. */
export function firewallState(): string {
  const nft = (() => {
    try {
      return execFileSync('nft', ['-s', 'list', 'ruleset'], { encoding: 'utf8' });
    } catch {
      return 'nft unavailable';
    }
  })();
  return `${nft}\nip_forward=${execFileSync('sysctl', ['-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' })}`;
}

export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request, over TCP (`url`) or a unix socket (`socketPath` + path); the body is capped at 1 MB. */
export function request(
  target: { url: string } | { socketPath: string; path: string },
  options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = {
      method: options.method ?? 'GET',
      headers: options.headers,
      timeout: options.timeoutMs ?? 5000,
    };
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1_000_000) body += chunk;
        else res.destroy();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    };
    const req =
      'url' in target
        ? http.request(target.url, common, onResponse)
        : http.request({ ...common, socketPath: target.socketPath, path: target.path }, onResponse);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until GET `url` answers 200; resolves with the time it took, in ms. */
export async function waitHttpOk(url: string, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await waitFor(url, async () => ((await request({ url })).status === 200 ? true : undefined), timeoutMs);
  return Date.now() - started;
}

/** An image's size in MB and its configuration (as `podman image inspect` gives them). */
export async function inspectImage(
  engine: Engine,
  tag: string,
): Promise<{ sizeMb: number; config: Record<string, unknown>; healthcheck: unknown }> {
  const [info] = JSON.parse(await engine.podman(['image', 'inspect', tag])) as {
    Size: number;
    Config: Record<string, unknown>;
    Healthcheck?: unknown;
  }[];
  return { sizeMb: Math.round(info!.Size / 1e5) / 10, config: info!.Config, healthcheck: info!.Healthcheck };
}

/** Runs `podman healthcheck run` until it passes; resolves with the number of attempts. */
export async function healthy(engine: Engine, name: string, timeoutMs = 60_000): Promise<number> {
  let attempts = 0;
  await waitFor(
    `${name} healthy`,
    async () => {
      attempts++;
      return (await engine.podman(['healthcheck', 'run', name]).then(
        () => true,
        () => undefined,
      )) as true | undefined;
    },
    timeoutMs,
  );
  return attempts;
}

/**
 * The discipline both service images keep: user `node`, one exposed port, a healthcheck on `healthPath`, and
 * no package manager or bundler inside. Resolves with the image's configuration and what /app holds.
 */
export async function expectLeanImage(
  engine: Engine,
  tag: string,
  expected: { port: number; healthPath: string },
): Promise<{ config: Record<string, unknown>; app: string[] }> {
  const { config, healthcheck } = await inspectImage(engine, tag);
  expect(config.User).toBe('node');
  expect(Object.keys(config.ExposedPorts as object)).toEqual([`${expected.port}/tcp`]);
  expect(JSON.stringify(healthcheck)).toContain(expected.healthPath);
  const out = await engine.podman([
    'run',
    '--rm',
    '--pull=never',
    '--network',
    'none',
    tag,
    'sh',
    '-c',
    'for t in npm npx corepack yarn gcc make esbuild; do command -v $t; done; id -u; ls /app',
  ]);
  const [uid, ...app] = out.trim().split('\n');
  expect(uid, 'only the uid and /app, no tool found').toBe('1000');
  return { config, app };
}

/** `podman run -d` of a service image on the host's network (no bridge), with its environment. */
export async function runService(
  engine: Engine,
  name: string,
  image: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<void> {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  await engine.podman([
    'run',
    '-d',
    '--pull=never',
    '--name',
    name,
    '--network',
    'host',
    ...args,
    ...envArgs,
    image,
  ]);
}
