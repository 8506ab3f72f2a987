// Federation's doors in the sidecar (which itself never federates): /config.json, the PWA's runtime
// configuration from the environment; /api/federation/status, where the PWA reports the state of the
// federation it runs and where `curl … | jq .connected` reads it; and /api/federation/identity, the node's
// secret every paired browser anonymizes under.
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import type { AppConfig } from '../../../protocol/app-config.ts';
import type { FederationSecret } from '../federation-secret.ts';
import { StatusReportSchema, type StatusReport } from '../../../protocol/federation-status.ts';

/** A report older than this means no page runs federation any more (the PWA reports every 30 s). */
export const STALE_MS = 120_000;

export function mountConfig(app: Hono, config: AppConfig): void {
  app.get('/config.json', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(config);
  });
}

/** Mount after the token check: both routes need the token. */
export function mountFederationStatus(app: Hono, config: AppConfig, now: () => number = Date.now): void {
  let latest: { report: StatusReport; atMs: number } | undefined;

  app.get('/api/federation/status', (c) => {
    const fresh = latest !== undefined && now() - latest.atMs <= STALE_MS;
    const reportedAt = latest ? new Date(latest.atMs).toISOString() : null;
    if (latest && fresh) return c.json({ ...latest.report, reportedAt });
    return c.json({
      enabled: latest?.report.enabled ?? config.federation?.enabled ?? false,
      connected: false,
      state: 'UNKNOWN',
      nodeId: latest?.report.nodeId ?? null,
      stats: latest?.report.stats ?? { sent: 0, refused: 0, errors: 0, lastError: null },
      reportedAt,
      detail:
        'No page of the app has reported for two minutes: federation runs in the browser, so open the app to run it.',
    });
  });

  app.put(
    '/api/federation/status',
    bodyLimit({ maxSize: 2048, onError: (c) => c.json({ error: 'report larger than 2048 bytes' }, 413) }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: 'the body is not JSON' }, 400);
      }
      const parsed = v.safeParse(StatusReportSchema, body);
      if (!parsed.success) {
        const issue = parsed.issues[0];
        const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
        return c.json({ error: `invalid report: ${path ? path + ': ' : ''}${issue.message}` }, 400);
      }
      latest = { report: parsed.output, atMs: now() };
      return c.body(null, 204);
    },
  );
}

/** Mount after the token check: the node's secret goes only to paired browsers. */
export function mountFederationIdentity(app: Hono, secret: FederationSecret): void {
  app.get('/api/federation/identity', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(secret.current());
  });

  app.post('/api/federation/identity/reset', (c) => {
    c.header('Cache-Control', 'no-store');
    try {
      return c.json(secret.reset());
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      return c.json({ error: `cannot write a new secret to ${secret.path} (${reason})` }, 500);
    }
  });
}
