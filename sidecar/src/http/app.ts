// The sidecar's HTTP API (README, "API") and the PWA's static files.
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { FederationSecret } from '../federation-secret.ts';
import type { NodeMonitor } from '../monitor.ts';
import { secretsEqual } from '../secrets.ts';
import type { LogSource } from '../sources/source.ts';
import type { AppConfig } from '../../../protocol/app-config.ts';
import { clientAddress, cors, requireHost, requireToken } from './access.ts';
import { mountConfig, mountFederationIdentity, mountFederationStatus } from './federation.ts';
import { FailureLimiter } from './rate-limit.ts';
import { streamEvents } from './sse.ts';
import { mountStatic } from './static.ts';

/** Concurrent /api/events streams at most: each reads the source on its own. */
export const MAX_EVENT_STREAMS = 16;
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
  /** Served as /config.json. */
  appConfig?: AppConfig;
  /** The node's federation secret, handed to paired browsers. */
  federationSecret: FederationSecret;
}

export function createApp(options: AppOptions): Hono {
  const { source, monitor } = options;
  const app = new Hono();
  let streams = 0;
  const passwordFailures = new FailureLimiter(5);

  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
  });
  app.use('*', requireHost(options.listenHost, options.allowedHosts));
  app.use('/api/*', cors(options.allowedOrigins));

  app.get('/api/health', (c) => {
    const s = monitor.state;
    return c.json({
      status: s.state === 'error' ? 'error' : 'ok',
      version: options.version,
      uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
      source: { kind: source.kind, description: source.description, state: s.state, detail: s.detail },
      container: s.container,
    });
  });

  mountConfig(app, options.appConfig ?? {});
  app.use('/api/*', requireToken(options.apiKey));
  mountFederationStatus(app, options.appConfig ?? {});
  mountFederationIdentity(app, options.federationSecret);

  app.get('/api/status', (c) => c.json(monitor.snapshot()));

  app.get('/api/events', (c) => {
    const after = c.req.header('last-event-id') || c.req.query('after') || undefined;
    if (after !== undefined && !CURSOR.test(after)) return c.json({ error: 'invalid cursor' }, 400);
    if (streams >= MAX_EVENT_STREAMS) {
      c.header('Retry-After', '5');
      return c.json({ error: `too many event streams (${MAX_EVENT_STREAMS})` }, 503);
    }
    streams++;
    c.header('Content-Type', 'text/event-stream; charset=utf-8');
    c.header('Cache-Control', 'no-cache, no-transform');
    c.header('X-Accel-Buffering', 'no');
    return stream(c, async (s) => {
      const controller = new AbortController();
      s.onAbort(() => controller.abort());
      try {
        await streamEvents(
          { write: (text) => s.write(text) },
          {
            source,
            signal: controller.signal,
            ...(after !== undefined && { after }),
            ...(options.quietMs !== undefined && { quietMs: options.quietMs }),
          },
        );
      } finally {
        controller.abort();
        streams--;
      }
    });
  });

  app.get('/api/tasks/:executionId/io', (c) => {
    const client = clientAddress(c);
    if (passwordFailures.blockedFor(client) > 0) return c.json({ error: 'too many failed attempts' }, 429);
    const given = c.req.header('x-task-data-password');
    if (given === undefined || !secretsEqual(given, options.taskDataPassword)) {
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
  mountStatic(app, options.staticDir);
  return app;
}
