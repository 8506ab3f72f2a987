// The nginx recipe of docs/HOSTING.md, run as written (but for its address, certificate and root) by Debian's
// nginx over the built web app: SPA fallback, the headers, the cache rules and the types scripts need.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, type TestCertificate } from '../nats/prod/prod-checks.ts';
import { ensureWebBuild, WEB_BUILD } from '../scripts/build-web.ts';
import { freePort } from '../scripts/nats-server.ts';
import { stopProcess } from '../scripts/stop-process.ts';

const recipe = /```nginx\n([\s\S]*?)```/.exec(
  readFileSync(new URL('./HOSTING.md', import.meta.url), 'utf8'),
)![1]!;

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

describe('the nginx recipe of docs/HOSTING.md', () => {
  let dir: string;
  let certificate: TestCertificate;
  let nginx: ChildProcess;
  let base: string;

  beforeAll(async () => {
    ensureWebBuild();
    dir = mkdtempSync(join(tmpdir(), 'truwatch-nginx-'));
    certificate = makeCertificate();
    const port = await freePort();
    base = `https://localhost:${port}`;
    const server = recipe
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl;`)
      .replace('/etc/letsencrypt/live/tru.example.org/fullchain.pem', certificate.cert)
      .replace('/etc/letsencrypt/live/tru.example.org/privkey.pem', certificate.key)
      .replace('/srv/truwatch/build', WEB_BUILD);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (t) => `${t}_temp_path ${dir}/${t};`,
    );
    const conf = `daemon off; pid ${dir}/nginx.pid; error_log stderr;
events {}
http { include /etc/nginx/mime.types; access_log off; ${temp.join(' ')}
${server}
}`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    nginx = spawn('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
    const deadline = Date.now() + 20_000;
    while (
      !(await get(`${base}/`, certificate.pem).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || nginx.exitCode !== null) throw new Error('nginx did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    if (nginx) await stopProcess(nginx, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
  });

  it('answers every app path with the shell, its CSP and the headers, never cached long', async () => {
    for (const path of ['/', '/tasks', '/tasks/some-execution', '/network']) {
      const page = await get(`${base}${path}`, certificate.pem);
      expect(page.status, path).toBe(200);
      expect(page.body).toContain('http-equiv="content-security-policy"');
      expect(page.headers).toMatchObject({
        'content-type': 'text/html',
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
    expect(script.headers['content-type']).toBe('application/javascript');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const worker = await get(`${base}/sw.js`, certificate.pem);
    expect(worker.headers).toMatchObject({
      'content-type': 'application/javascript',
      'cache-control': 'no-cache',
    });
    const manifest = await get(`${base}/manifest.webmanifest`, certificate.pem);
    expect(manifest.headers['content-type']).toBe('application/manifest+json');
    expect((await get(`${base}/_app/immutable/entry/missing.js`, certificate.pem)).status).toBe(404);
  });
});
