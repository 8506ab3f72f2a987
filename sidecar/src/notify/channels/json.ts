// The generic JSON webhook, as Apprise writes it: json://host[:port]/path (http) and jsons://… (https). POSTs the
// alert as JSON; userinfo in the URL is sent as basic auth and never shown.
import { DeliveryError, type Alert, type Channel } from '../channel.ts';

/** How much of a refusing receiver's body the error quotes. */
const EXCERPT_CHARS = 200;

export function jsonChannel(url: URL): Channel {
  const secure = url.protocol === 'jsons:';
  if (!url.hostname) throw new Error('needs a host, like json://receiver.lan:8080/hook');
  const target = new URL(`${secure ? 'https' : 'http'}://${url.host}${url.pathname}${url.search}`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return {
    kind: 'json',
    // The path of a webhook often is its secret: the label shows the host only.
    label: `${secure ? 'jsons' : 'json'}://${url.host}`,
    async send(alert: Alert, signal: AbortSignal): Promise<void> {
      await postJson(
        target,
        alert,
        { ...headers, 'idempotency-key': alert.id, 'x-truwatch-alert-id': alert.id },
        signal,
      );
    },
  };
}

/** POSTs `body` as JSON; 2xx is delivered, anything else a DeliveryError that says whether retrying can help. */
export async function postJson(
  target: URL,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    // A redirect is not followed: it would resend the body, and the credentials, somewhere the operator did not name.
    response = await fetch(target, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    if (signal.aborted) throw new DeliveryError(`no answer from ${target.host} in time`, true);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError(
      `cannot reach ${target.host}: ${cause?.code ?? cause?.message ?? String(error)}`,
      true,
    );
  }
  if (response.ok) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const status = response.status;
  const excerpt = (await firstBytes(response).catch(() => ''))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, EXCERPT_CHARS);
  const retry = status === 408 || status === 429 || status >= 500;
  throw new DeliveryError(`${target.host} answered ${status}${excerpt ? `: ${excerpt}` : ''}`, retry);
}

/** The start of the body only: a receiver's error page may be large. */
async function firstBytes(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_CHARS * 4) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).toString('utf8');
}
