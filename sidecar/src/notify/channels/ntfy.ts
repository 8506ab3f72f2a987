// ntfy (ntfy.sh or a server of the operator's): ntfy://[user:pass@]host[:port]/topic over http, ntfys://… over
// https; ?token= for an access token, ?priority= to set every alert's priority.
// Published in ntfy's JSON form (POST to the server's root with the topic in the body) rather than as a text
// body with Title/Tags headers: the title and reasons hold the sidecar's and the log's words, any UTF-8, which
// JSON carries as they are and HTTP headers do not.
import type { Alert, Channel } from '../channel.ts';
import { post } from './http-post.ts';
import { messageBody, truncate, truncateUtf8 } from './format.ts';
import { badUrl, options, pathSegments, safeDecode } from './url-parts.ts';

const EXPECTED = 'ntfy://[user:pass@]host[:port]/topic or ntfys://…, options token, priority';
/** ntfy's topic names. */
const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
/** ntfy turns a message over its default 4096 bytes into an attachment, or refuses it. */
const MESSAGE_BYTES = 4000;
const PRIORITIES: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

/** down → high, degraded → default, recovered → low; ?priority= sets one for every alert. */
const PRIORITY_BY_VERDICT = { down: 4, degraded: 3, healthy: 2 } as const;
const TAGS_BY_VERDICT = {
  down: ['rotating_light', 'down'],
  degraded: ['warning', 'degraded'],
  healthy: ['white_check_mark', 'recovered'],
} as const;

export function fromUrl(url: URL): Channel {
  const fail = (problem: string) => badUrl(problem, EXPECTED);
  if (url.protocol !== 'ntfy:' && url.protocol !== 'ntfys:') throw fail('not an ntfy URL');
  const opts = options(url, ['token', 'priority'], fail);
  if (!url.hostname) throw fail('no server');
  const segments = pathSegments(url);
  // A URL without a path must not publish to a public server by default (Apprise's ntfy://topic does).
  const topic = segments.pop();
  if (!topic) throw fail('no topic');
  if (!TOPIC.test(topic)) throw fail('a topic is 1 to 64 letters, digits, - or _');
  const base = `${url.protocol === 'ntfys:' ? 'https' : 'http'}://${url.host}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`;

  let priority: number | undefined;
  const wanted = opts.get('priority');
  if (wanted !== undefined) {
    priority = PRIORITIES[wanted.toLowerCase()] ?? (/^[1-5]$/.test(wanted) ? Number(wanted) : undefined);
    if (priority === undefined) throw fail('priority is min, low, default, high, max or 1 to 5');
  }

  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  // An access token: ?token=, or alone in the user part as Apprise writes it (ntfy://tk_…@host/topic).
  const token =
    opts.get('token') ?? (user.startsWith('tk_') && !password ? user : !user && password ? password : '');
  let authorization: string | undefined;
  if (token) authorization = `Bearer ${token}`;
  else if (user) authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  // Without credentials the topic is the secret (anyone who knows it can read): not in an error nor the label.
  const secrets = [token, password, authorization ? '' : topic].filter(Boolean);

  const label = authorization ? `ntfy ${url.host}/${topic}` : `ntfy ${url.host}`;
  return {
    kind: 'ntfy',
    label,
    async send(alert: Alert, signal: AbortSignal) {
      await post(
        {
          url: `${base}/`,
          headers: {
            'content-type': 'application/json',
            ...(authorization ? { authorization } : {}),
          },
          body: JSON.stringify({
            topic,
            title: truncate(alert.title, 250),
            message: truncateUtf8(messageBody(alert), MESSAGE_BYTES),
            priority: priority ?? PRIORITY_BY_VERDICT[alert.verdict],
            tags: TAGS_BY_VERDICT[alert.verdict],
          }),
          secrets,
        },
        signal,
      );
    },
  };
}
