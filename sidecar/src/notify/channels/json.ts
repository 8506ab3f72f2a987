// The generic JSON webhook, as Apprise writes it: json://host[:port]/path (http) and jsons://… (https). POSTs the
// alert as JSON; userinfo in the URL is sent as basic auth and never shown.
import type { Alert, Channel } from '../channel.ts';
import { post } from './http-post.ts';
import { pathSegments, safeDecode } from './url-parts.ts';

export function jsonChannel(url: URL): Channel {
  const secure = url.protocol === 'jsons:';
  if (!url.hostname) throw new Error('needs a host, like json://receiver.lan:8080/hook');
  const target = `${secure ? 'https' : 'http'}://${url.host}${url.pathname}${url.search}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const user = safeDecode(url.username);
  const password = safeDecode(url.password);
  if (user || password)
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  // A webhook's path or query often holds its token: shown neither in the label nor in an error (the long parts).
  const parts = [...pathSegments(url), ...url.searchParams.values()];
  const secrets = [password, ...parts.filter((part) => part.length >= 8)];
  return {
    kind: 'json',
    label: `${secure ? 'jsons' : 'json'}://${url.host}`,
    send: (alert: Alert, signal: AbortSignal) =>
      post(
        {
          url: target,
          headers: { ...headers, 'idempotency-key': alert.id, 'x-truwatch-alert-id': alert.id },
          body: JSON.stringify(alert),
          secrets,
        },
        signal,
      ),
  };
}
