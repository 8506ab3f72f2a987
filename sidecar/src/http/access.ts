// Who may call the API: browsers from the allowed origins only (CORS, with the Private Network Access
// preflight answer), and only with the bearer token, compared in constant time, failures rate-limited.
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { secretsEqual } from '../secrets.ts';
import { GuessLimiter } from './rate-limit.ts';

const ALLOWED_HEADERS = 'Authorization, Last-Event-ID, Content-Type, X-Task-Data-Password';

export function cors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    const ok = origin !== undefined && allowed.has(origin);
    if (c.req.method === 'OPTIONS') {
      if (!ok) return c.body(null, 403);
      const headers: Record<string, string> = {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'GET, POST, PUT, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      };
      // Private Network Access: a public page (https://tru.watch) asking for a local address.
      if (c.req.header('access-control-request-private-network') === 'true')
        headers['Access-Control-Allow-Private-Network'] = 'true';
      return c.body(null, 204, headers);
    }
    await next();
    if (ok) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.append('Vary', 'Origin');
    }
  };
}

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

/** Wrong tokens answered 401 a minute, from one address and from all together; past either, 429. */
export const WRONG_TOKENS_PER_ADDRESS = 10;
export const WRONG_TOKENS_IN_TOTAL = 100;

/**
 * Requires `Authorization: Bearer <token>`. A right token always passes, however many wrong ones came before
 * it from anywhere. Wrong tokens count against the client's address and against everyone's total: past
 * either limit they are answered 429 (for wrong tokens only, so a page that sends requests without a token
 * cannot lock the real client out).
 */
export function requireToken(
  token: string | readonly string[],
  limiter = new GuessLimiter(WRONG_TOKENS_PER_ADDRESS, WRONG_TOKENS_IN_TOTAL),
): MiddlewareHandler {
  return async (c, next) => {
    const given = bearerToken(c);
    const tokens = typeof token === 'string' ? [token] : token;
    if (given !== undefined && tokens.some((t) => secretsEqual(given, t))) return next();
    c.header('WWW-Authenticate', 'Bearer realm="truwatch"');
    if (given === undefined) return c.json({ error: 'missing bearer token' }, 401);
    const client = clientAddress(c);
    const wait = limiter.blockedFor(client);
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return c.json({ error: 'too many failed attempts, try again later' }, 429);
    }
    limiter.fail(client);
    return c.json({ error: 'invalid token' }, 401);
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Answers only requests addressed to a loopback name, the address it listens on, or ALLOWED_HOSTS: a page on
 * another site cannot reach it through a DNS name that points at 127.0.0.1 (DNS rebinding).
 */
export function requireHost(listenHost: string, allowedHosts: readonly string[]): MiddlewareHandler {
  const allowed = new Set([...LOOPBACK, ...allowedHosts]);
  if (listenHost !== '0.0.0.0' && listenHost !== '::')
    allowed.add(listenHost.includes(':') ? `[${listenHost}]` : listenHost);
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase().replace(/:\d+$/, '');
    if (allowed.has(host)) return next();
    return c.text(`This sidecar does not answer to the host "${host}": add it to ALLOWED_HOSTS.`, 421);
  };
}
