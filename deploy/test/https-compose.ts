// deploy/docker-compose.https.yml over docker-compose.monitor.yml: Caddy in front of the sidecar, with its own
// CA (no ACME_EMAIL) in place of Let's Encrypt. A client that trusts that CA reaches https://<DOMAIN>/api/health
// (the name resolved to 127.0.0.1 for the request); one that does not is refused; plain HTTP is redirected.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.ts';
import { composeProject } from './compose.ts';
import { STEP_TIMEOUT_MS, type DeployContext } from './context.ts';
import { IMAGES_DIR, request, waitFor, waitHttpOk, type Answer } from './images.ts';

const DOMAIN = 'monitor.truwatch.test';
const API_KEY = 'deploy-https-api-key-0123456789';

/** DOMAIN, and only it, resolves to the loopback address. */
const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  if (hostname !== DOMAIN) return callback(new Error(`unexpected lookup of ${hostname}`));
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}) as unknown as LookupFunction;

function httpsGet(
  url: string,
  ca: string | undefined,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, lookup, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

export function httpsComposeTests(context: DeployContext): void {
  it(
    `serves the monitor over HTTPS at DOMAIN through Caddy (its internal CA in the test)`,
    async () => {
      const [sidecarPort, httpPort, httpsPort, adminPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const project = await composeProject(
        'truwatchhttps',
        [
          'deploy/docker-compose.monitor.yml',
          'deploy/docker-compose.https.yml',
          'deploy/ci/monitor.ci.yml',
          'deploy/ci/https.ci.yml',
        ],
        {
          DOMAIN,
          SOURCE: 'replay',
          API_KEY,
          DOCKER_SOCKET: `${IMAGES_DIR}/podman.sock`,
          CI_SIDECAR_PORT: String(sidecarPort),
          CI_CADDY_HTTP_PORT: String(httpPort),
          CI_CADDY_HTTPS_PORT: String(httpsPort),
          CI_CADDY_ADMIN_PORT: String(adminPort),
        },
      );
      try {
        expect(project.config.services.caddy!.environment).toMatchObject({ CADDY_TLS: 'internal' });
        const started = Date.now();
        await project.run(['up', '-d', '--build']);
        await waitHttpOk(`http://127.0.0.1:${sidecarPort}/api/health`);
        context.checkFirewall();

        // Caddy's own root certificate, as an operator would copy it out of the caddy-data volume.
        const [volume] = JSON.parse(
          await context.engine.podman(['volume', 'inspect', 'truwatchhttps_caddy-data']),
        ) as { Mountpoint: string }[];
        const rootFile = `${volume!.Mountpoint}/caddy/pki/authorities/local/root.crt`;
        const ca = await waitFor('Caddy root certificate', async () => readFileSync(rootFile, 'utf8'));
        const base = `https://${DOMAIN}:${httpsPort}`;
        const health = await waitFor('https health', async () => {
          const answer = await httpsGet(`${base}/api/health`, ca);
          return answer.status === 200 ? answer : undefined;
        });
        context.figures.httpsComposeUpMs = Date.now() - started;
        expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
        // The sidecar answers to DOMAIN (ALLOWED_HOSTS), the API token opens the API through Caddy.
        const status = await httpsGet(`${base}/api/status`, ca, { authorization: `Bearer ${API_KEY}` });
        expect(status.status).toBe(200);
        expect((await httpsGet(`${base}/`, ca)).body).toContain('<!doctype html>');
        // Without Caddy's CA, the certificate is not trusted.
        await expect(httpsGet(`${base}/api/health`, undefined)).rejects.toThrow(/certificate/i);
        // Plain HTTP is sent to HTTPS.
        const plain = await request(
          { url: `http://127.0.0.1:${httpPort}/api/health` },
          { headers: { host: DOMAIN } },
        );
        expect(plain.status).toBe(308);
        expect(plain.headers.location).toBe(`https://${DOMAIN}/api/health`); // the standard port, as in production
      } finally {
        await project.down();
      }
      context.checkFirewall();
    },
    STEP_TIMEOUT_MS,
  );
}
