// The nginx and Caddy recipes of docs/HOSTING.md, run as written (but for their address, certificate and root)
// by Debian's nginx and Caddy over the built web app: SPA fallback, headers, cache rules, the types scripts need.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, type TestCertificate } from '../test/support/test-certificate.ts';
import { ensureWebBuild, WEB_BUILD } from '../scripts/build-web.ts';
import { freePort } from '../test/support/free-port.ts';
import { stopProcess } from '../test/support/stop-process.ts';

const HOSTING = readFileSync(new URL('./HOSTING.md', import.meta.url), 'utf8');
const recipe = (lang: string) => new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(HOSTING)![1]!;

interface Server {
  /** The configuration for a server on `port` keeping its state in `dir`. */
  config(dir: string, port: number, certificate: TestCertificate): string;
  command(file: string, dir: string): [string, string[], NodeJS.ProcessEnv];
}

const SERVERS: Record<string, Server> = {
  nginx: {
    config(dir, port, certificate) {
      const server = recipe('nginx')
        .replace('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl;`)
        .replace('/etc/letsencrypt/live/tru.example.org/fullchain.pem', certificate.cert)
        .replace('/etc/letsencrypt/live/tru.example.org/privkey.pem', certificate.key)
        .replace('/srv/truwatch/build', WEB_BUILD);
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (t) => `${t}_temp_path ${dir}/${t};`,
      );
      return `daemon off; pid ${dir}/nginx.pid; error_log stderr;
events {}
http { include /etc/nginx/mime.types; access_log off; ${temp.join(' ')}
${server}
}`;
    },
    command: (file) => ['/usr/sbin/nginx', ['-c', file], process.env],
  },
  caddy: {
    config(dir, port, certificate) {
      const site = recipe('caddyfile')
        .replace(
          'tru.example.org {',
          `https://localhost:${port} {\n    tls ${certificate.cert} ${certificate.key}`,
        )
        .replace('/srv/truwatch/build', WEB_BUILD);
      return `{\n    admin off\n    auto_https off\n    storage file_system ${dir}/data\n}\n${site}`;
    },
    command: (file, dir) => [
      '/usr/bin/caddy',
      ['run', '--config', file, '--adapter', 'caddyfile'],
      { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    ],
  },
};

function get(
  url: string,
  ca: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) =>
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject),
  );
}

describe.each(Object.keys(SERVERS))('the %s recipe of docs/HOSTING.md', (name) => {
  const kind = SERVERS[name]!;
  let dir: string;
  let certificate: TestCertificate;
  let server: ChildProcess;
  let base: string;

  beforeAll(async () => {
    ensureWebBuild();
    dir = mkdtempSync(join(tmpdir(), `truwatch-${name}-`));
    certificate = makeCertificate();
    const port = await freePort();
    base = `https://localhost:${port}`;
    const file = join(dir, 'server.conf');
    writeFileSync(file, kind.config(dir, port, certificate));
    const [command, args, env] = kind.command(file, dir);
    server = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const deadline = Date.now() + 20_000;
    while (
      !(await get(`${base}/`, certificate.pem).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`${name} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    if (server) await stopProcess(server, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('answers every app path with the shell, its CSP and the headers, never cached long', async () => {
    for (const path of ['/', '/tasks', '/tasks/some-execution', '/network']) {
      const page = await get(`${base}${path}`, certificate.pem);
      expect(page.status, path).toBe(200);
      expect(page.body).toContain('http-equiv="content-security-policy"');
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers).toMatchObject({
        'cache-control': 'no-cache',
        'content-security-policy': "frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
    }
  });

  it('serves scripts as JavaScript, the hashed ones for a year, the service worker and manifest uncached', async () => {
    const [entry] = readdirSync(join(WEB_BUILD, '_app/immutable/entry'));
    const script = await get(`${base}/_app/immutable/entry/${entry}`, certificate.pem);
    expect(script.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const worker = await get(`${base}/sw.js`, certificate.pem);
    expect(worker.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(worker.headers['cache-control']).toBe('no-cache');
    const manifest = await get(`${base}/manifest.webmanifest`, certificate.pem);
    expect(manifest.headers['content-type']).toBe('application/manifest+json');
    expect((await get(`${base}/_app/immutable/entry/missing.js`, certificate.pem)).status).toBe(404);
  });
});
