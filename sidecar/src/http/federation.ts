// Federation's doors in the sidecar (which itself never federates): /config.json, the PWA's runtime
// configuration (the environment, under the settings set through the API); /api/federation/status, where the
// PWA reports the state of the federation it runs and where `curl … | jq .connected` reads it, with the
// network's figures the app last received (also behind /tasks/global and /peers); /enable, /disable and
// /settings, which set the deployment's federation settings (federation-settings.ts); and
// /api/federation/identity, the node's secret every paired browser anonymizes under. docs/API.md lists them.
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import * as v from 'valibot';
import type { AppConfig } from '../../../protocol/app-config.ts';
import {
  MAX_REPORT_BYTES,
  StatusReportSchema,
  type StatusReport,
} from '../../../protocol/federation-status.ts';
import { LATEST_SUBJECTS, SUBJECTS } from '../../../protocol/subjects.ts';
import type { FederationSecret } from '../federation-secret.ts';
import {
  MAX_SETTINGS_BYTES,
  SettingsPatchSchema,
  firstIssue,
  type FederationSettings,
  type SettingsPatch,
} from '../federation-settings.ts';

/** A report older than this means no page runs federation any more (the PWA reports every 30 s). */
export const STALE_MS = 120_000;

const NO_REPORT =
  'No page of the app has reported for two minutes: federation runs in the browser, so open the app to run it.';
const NO_STATS =
  'The app has received no network figures yet: they come with federation on and receiving (FEDERATION_RECEIVE_ENABLED).';
/** Where the feed of single tasks is, since the sidecar does not relay it (docs/API.md says why). */
const FEED_IS =
  `The sidecar does not relay the feed of single tasks: the app shows it on its /network page, and it is ` +
  `published on NATS (${SUBJECTS.feed}, the latest on ${LATEST_SUBJECTS.feed}) for the public user; ` +
  `the aggregator's HTTP API serves the network's figures (/api/stats, /api/history).`;
const NO_PEERS =
  'Peers are not listed: federation shares no node addresses or names, only daily pseudonyms the network counts.';

const ON_OFF =
  'The open app follows within FEDERATION_ROUND_SECONDS; a browser whose operator turned federation on or off in ' +
  'the app itself keeps that choice. GET /api/federation/status says what the app runs.';

/** Serves `config()` as it is now: a change of the settings shows at once. */
export function mountConfig(app: Hono, config: () => AppConfig): void {
  app.get('/config.json', (c) => {
    c.header('Cache-Control', 'no-store');
    // The invite admits the node at the token issuer: only paired browsers get it (the identity API).
    const { federation, ...rest } = config();
    if (!federation) return c.json(rest);
    const { issuerInvite: _, ...shown } = federation;
    return c.json({ ...rest, federation: shown });
  });
}

/** Mount after the token check. */
export function mountFederationStatus(
  app: Hono,
  config: () => AppConfig,
  now: () => number = Date.now,
): void {
  let latest: { report: StatusReport; atMs: number } | undefined;

  app.get('/api/federation/status', (c) => {
    const fresh = latest !== undefined && now() - latest.atMs <= STALE_MS;
    const reportedAt = latest ? new Date(latest.atMs).toISOString() : null;
    if (latest && fresh) return c.json({ ...latest.report, reportedAt });
    return c.json({
      enabled: latest?.report.enabled ?? config().federation?.enabled ?? false,
      connected: false,
      state: 'UNKNOWN',
      nodeId: latest?.report.nodeId ?? null,
      stats: latest?.report.stats ?? null,
      counters: latest?.report.counters ?? { sent: 0, refused: 0, errors: 0, lastError: null },
      reportedAt,
      detail: NO_REPORT,
    });
  });

  app.put(
    '/api/federation/status',
    bodyLimit({
      maxSize: MAX_REPORT_BYTES,
      onError: (c) => c.json({ error: `report larger than ${MAX_REPORT_BYTES} bytes` }, 413),
    }),
    async (c) => {
      const body = await jsonBody(c);
      if (!body.ok) return body.response;
      const parsed = v.safeParse(StatusReportSchema, body.value);
      if (!parsed.success) return c.json({ error: `invalid report: ${firstIssue(parsed.issues)}` }, 400);
      latest = { report: parsed.output, atMs: now() };
      return c.body(null, 204);
    },
  );

  app.get('/api/federation/tasks/global', (c) => {
    const stats = latest?.report.stats;
    if (!stats) return c.json({ stats: null, detail: NO_STATS, feed: FEED_IS });
    const { at, receivedAt, tasks, outcomes, kinds } = stats;
    return c.json({ at, receivedAt, tasks, outcomes, kinds, feed: FEED_IS });
  });

  app.get('/api/federation/peers', (c) => {
    const stats = latest?.report.stats;
    if (!stats) return c.json({ stats: null, detail: `${NO_STATS} ${NO_PEERS}` });
    const { at, receivedAt, activeNodes, nodesToday, regions } = stats;
    return c.json({
      at,
      receivedAt,
      activeNodes,
      nodesToday,
      regions,
      detail: `${NO_PEERS} These are the network's counts from the last figures the app received.`,
    });
  });
}

/**
 * Mount after the token check: the deployment's federation settings. `env` is the environment's configuration,
 * the defaults under them.
 */
export function mountFederationSettings(app: Hono, settings: FederationSettings, env: AppConfig): void {
  const answer = (c: Context, detail?: string) =>
    c.json({
      federation: settings.apply(env).federation ?? {},
      set: settings.current(),
      file: settings.path,
      ...(detail && { detail }),
    });
  const change = (c: Context, patch: SettingsPatch, detail?: string) => {
    try {
      settings.update(patch);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      return c.json({ error: `cannot write the settings to ${settings.path} (${reason})` }, 500);
    }
    return answer(c, detail);
  };

  app.post('/api/federation/enable', (c) => change(c, { enabled: true }, ON_OFF));
  app.post('/api/federation/disable', (c) => change(c, { enabled: false }, ON_OFF));
  app.get('/api/federation/settings', (c) => {
    c.header('Cache-Control', 'no-store');
    return answer(c);
  });
  app.post(
    '/api/federation/settings',
    bodyLimit({
      maxSize: MAX_SETTINGS_BYTES,
      onError: (c) => c.json({ error: `settings larger than ${MAX_SETTINGS_BYTES} bytes` }, 413),
    }),
    async (c) => {
      const body = await jsonBody(c);
      if (!body.ok) return body.response;
      if (Array.isArray(body.value))
        return c.json({ error: 'invalid settings: a JSON object is expected' }, 400);
      const parsed = v.safeParse(SettingsPatchSchema, body.value);
      if (!parsed.success) return c.json({ error: `invalid settings: ${firstIssue(parsed.issues)}` }, 400);
      return change(c, parsed.output);
    },
  );
}

async function jsonBody(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return { ok: false, response: c.json({ error: 'the body is not JSON' }, 400) };
  }
}

/**
 * Mount after the token check: the node's secret, and its invite for the token issuer (`invite()`, when there is
 * one), go only to paired browsers.
 */
export function mountFederationIdentity(
  app: Hono,
  secret: FederationSecret,
  invite: () => { issuerUrl: string; code: string } | undefined = () => undefined,
): void {
  const answer = (node: { secret: string; since: string }) => {
    const issuerInvite = invite();
    return issuerInvite === undefined ? node : { ...node, issuerInvite };
  };
  app.get('/api/federation/identity', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(answer(secret.current()));
  });

  app.post('/api/federation/identity/reset', (c) => {
    c.header('Cache-Control', 'no-store');
    try {
      return c.json(answer(secret.reset()));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      return c.json({ error: `cannot write a new secret to ${secret.path} (${reason})` }, 500);
    }
  });
}
