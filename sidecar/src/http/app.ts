// The sidecar's HTTP API (docs/API.md) and the PWA's static files.
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { FederationSecret } from '../federation-secret.ts';
import type { FederationSettings } from '../federation-settings.ts';
import type { NodeMonitor } from '../monitor.ts';
import type { Alerter } from '../notify/alerter.ts';
import { secretsEqual } from '../secrets.ts';
import type { LogSource } from '../sources/source.ts';
import type { AppConfig } from '../../../protocol/app-config.ts';
import { clientAddress, cors, requireHost, requireToken } from './access.ts';
import {
  mountConfig,
  mountFederationIdentity,
  mountFederationSettings,
  mountFederationStatus,
} from './federation.ts';
import { GuessLimiter } from './rate-limit.ts';
import { streamEvents } from './sse.ts';
import { StreamSlots } from './streams.ts';
import { BackfillQueue } from './backfills.ts';
import { mountMetrics } from './metrics.ts';
import { mountStatic } from './static.ts';

/** Concurrent /api/events streams at most: each reads the source on its own. */
export const MAX_EVENT_STREAMS = 16;
/** Streams reading history at once at most (the others wait their turn): bounds the memory of full slots. */
export const MAX_BACKFILLS = 1;
/** A stream whose client takes nothing for this long is dropped (its slot and buffers freed). */
export const STREAM_STALL_MS = 15_000;
/** Wrong task-data passwords answered 403 a minute, from one address and from all together; past it, 429. */
export const WRONG_PASSWORDS_PER_ADDRESS = 5;
export const WRONG_PASSWORDS_IN_TOTAL = 50;
const CURSOR = /^[\x21-\x7e]{1,200}$/;

export interface AppOptions {
  source: LogSource;
  monitor: NodeMonitor;
  apiKey: string;
  taskDataPassword: string;
  allowedOrigins: readonly string[];
  /** The address it listens on and the extra host names it answers to (see requireHost). */
  listenHost: string;
  allowedHosts: readonly string[];
  staticDir: string;
  version: string;
  startedAt: number;
  /** Quiet time before a live entry is sent without waiting for more continuation lines. */
  quietMs?: number;
  /** Served as /config.json (from the environment), under `federationSettings`. */
  appConfig?: AppConfig;
  /** The deployment's federation settings set through the API (DATA_DIR/federation-settings.json). */
  federationSettings?: FederationSettings;
  /** The node's federation secret, handed to paired browsers. */
  federationSecret: FederationSecret;
  /** How long a stream may make no progress before it is dropped (STREAM_STALL_MS). */
  streamStallMs?: number;
  /** A token that opens /metrics only (METRICS_TOKEN), besides the API token. */
  metricsToken?: string;
  /** The alerts sent to the operator's channels (NOTIFY_URLS); absent when none is configured. */
  alerter?: Alerter;
}

const NO_WEBSOCKET =
  'there is no WebSocket server: the live stream is Server-Sent Events at GET /api/events (with the API token; ' +
  'resumable with Last-Event-ID); docs/API.md lists the API';

export function createApp(options: AppOptions): Hono {
  const { source, monitor, alerter } = options;
  const app = new Hono();
  const streams = new StreamSlots(MAX_EVENT_STREAMS, options.streamStallMs ?? STREAM_STALL_MS);
  const backfills = new BackfillQueue(MAX_BACKFILLS);
  const passwordFailures = new GuessLimiter(WRONG_PASSWORDS_PER_ADDRESS, WRONG_PASSWORDS_IN_TOTAL);

  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
  });
  app.use('*', requireHost(options.listenHost, options.allowedHosts));
  app.use('/api/*', cors(options.allowedOrigins));

  // Up or down, without a token: nothing about the host (paths, container names, versions) before the token.
  app.get('/api/health', (c) => c.json({ status: monitor.state.state === 'error' ? 'error' : 'ok' }));

  const envConfig = options.appConfig ?? {};
  const settings = options.federationSettings;
  const appConfig = () => (settings ? settings.apply(envConfig) : envConfig);
  mountConfig(app, appConfig);
  app.use('/api/*', requireToken(options.apiKey));
  mountFederationStatus(app, appConfig);
  if (settings) mountFederationSettings(app, settings, envConfig);
  mountFederationIdentity(app, options.federationSecret, () => {
    const { issuerUrl, issuerInvite } = appConfig().federation ?? {};
    return issuerUrl && issuerInvite ? { issuerUrl, code: issuerInvite } : undefined;
  });

  app.get('/api/status', (c) =>
    c.json({
      version: options.version,
      uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
      ...monitor.snapshot(),
      streams: {
        open: streams.size,
        max: streams.max,
        dropped: { ...streams.dropped },
        backfills: { ...backfills.size, max: backfills.max },
      },
      ...(alerter && { notifications: alerter.status() }),
    }),
  );

  app.get('/api/alerts', (c) => c.json(alerter ? alerter.response() : { channels: [], alerts: [] }));
  app.post('/api/alerts/test', (c) => {
    if (!alerter) return c.json({ error: 'no notification channel is configured (NOTIFY_URLS)' }, 409);
    const alert = alerter.test();
    if (!alert) return c.json({ error: 'a test notification was sent less than a minute ago' }, 429);
    return c.json({ alert }, 202);
  });

  app.get('/api/events', (c) => {
    const after = c.req.header('last-event-id') || c.req.query('after') || undefined;
    if (after !== undefined && !CURSOR.test(after)) return c.json({ error: 'invalid cursor' }, 400);
    c.header('Content-Type', 'text/event-stream; charset=utf-8');
    c.header('Cache-Control', 'no-cache, no-transform');
    c.header('X-Accel-Buffering', 'no');
    const connection = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    return stream(c, async (s) => {
      // Taken here, where the response exists: a full house evicts a stream now, never answers 503.
      const slot = streams.take(
        (text) => s.write(text),
        () => connection?.destroy(),
      );
      s.onAbort(() => slot.release());
      try {
        await streamEvents(slot, {
          source,
          signal: slot.signal,
          backfills,
          ...(after !== undefined && { after }),
          ...(options.quietMs !== undefined && { quietMs: options.quietMs }),
        });
      } finally {
        slot.release();
      }
    });
  });

  app.get('/api/tasks/:executionId/io', (c) => {
    const given = c.req.header('x-task-data-password');
    // The right password always passes: wrong guesses, from this address or any, never lock it out.
    if (given === undefined || !secretsEqual(given, options.taskDataPassword)) {
      const client = clientAddress(c);
      const wait = passwordFailures.blockedFor(client);
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return c.json({ error: 'too many failed attempts, try again later' }, 429);
      }
      passwordFailures.fail(client);
      return c.json(
        { error: 'the task-data password is missing or wrong (header X-Task-Data-Password)' },
        403,
      );
    }
    const executionId = c.req.param('executionId');
    const io = monitor.io.get(executionId);
    if (!io)
      return c.json({ error: 'no task data kept for this execution (only recent executions are kept)' }, 404);
    c.header('Cache-Control', 'no-store');
    return c.json({ executionId, ...io });
  });

  app.all('/api/*', (c) => c.json({ error: 'not found' }, 404));
  app.use(
    '/metrics',
    requireToken([options.apiKey, ...(options.metricsToken ? [options.metricsToken] : [])]),
  );
  mountMetrics(app, { monitor, streams: () => streams.size, ...(alerter && { alerter }) });
  // The original monitor streamed over a WebSocket at /ws: a client written for it gets a reason, not the app's HTML.
  app.all('/ws', (c) => c.json({ error: NO_WEBSOCKET }, 404));
  mountStatic(app, options.staticDir);
  return app;
}
