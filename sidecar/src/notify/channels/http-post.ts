// One POST to a notification service, and what its answer means for the alerter: delivered, worth trying again
// (no connection, no answer in time, 408, 429, 5xx: with the wait the receiver asked for), or not (any other
// 4xx: a refused token, an unknown chat), with the receiver's own words, bounded and free of the URL's secrets.
import { DeliveryError } from '../channel.ts';
import { oneLine } from './format.ts';

/** The most of an error answer read, and the most of it quoted in the error. */
const BODY_READ_BYTES = 4096;
const ERROR_TEXT_CHARS = 300;
/** A Retry-After past this is the alerter's backoff to bound, not a wait to honour. */
const RETRY_AFTER_MAX_MS = 24 * 3600_000;

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Strings that must never appear in an error (the tokens in the URL). */
  secrets: string[];
}

export async function post(request: PostRequest, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      // A redirected POST becomes a GET elsewhere: say so rather than follow it.
      redirect: 'manual',
    });
  } catch (err) {
    throw new DeliveryError(clean(networkError(err, signal), request.secrets), true);
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const text = await readBounded(response, signal);
  const retry = response.status === 408 || response.status === 429 || response.status >= 500;
  const status = `answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status >= 300 && response.status < 400) {
    throw new DeliveryError(`${status}, a redirect: give the address it redirects to`, false);
  }
  const said = receiverWords(text);
  const message = clean(said ? `${status}: ${said}` : status, request.secrets);
  throw new DeliveryError(message, retry, retry ? retryAfterMs(response, text) : undefined);
}

function networkError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'no answer in the time allowed';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return `could not connect: ${detail}`;
}

async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_READ_BYTES && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // the receiver hung up mid-answer: what came is enough to quote
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, BODY_READ_BYTES).toString('utf8');
}

/** The receiver's error in its own words: the message field of a JSON error (Telegram, Discord, ntfy), else the text. */
function receiverWords(text: string): string {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['description', 'message', 'error']) {
      if (typeof json[key] === 'string' && json[key]) return json[key];
    }
  } catch {
    // not JSON: the text itself
  }
  return text;
}

/** One line, no control characters, no secret, at most ERROR_TEXT_CHARS. */
function clean(text: string, secrets: string[]): string {
  let out = oneLine(text);
  for (const secret of secrets) if (secret) out = out.split(secret).join('…');
  return out.length > ERROR_TEXT_CHARS ? `${out.slice(0, ERROR_TEXT_CHARS - 1)}…` : out;
}

/** The wait the receiver asked for: a Retry-After header (seconds or a date), or Telegram's and Discord's JSON field. */
function retryAfterMs(response: Response, text: string): number | undefined {
  let ms: number | undefined;
  const header = response.headers.get('retry-after')?.trim();
  if (header) {
    if (/^\d+(\.\d+)?$/.test(header)) ms = Number(header) * 1000;
    else if (!Number.isNaN(Date.parse(header))) ms = Math.max(0, Date.parse(header) - Date.now());
  }
  if (ms === undefined) {
    try {
      const json = JSON.parse(text) as { retry_after?: unknown; parameters?: { retry_after?: unknown } };
      const seconds = json.parameters?.retry_after ?? json.retry_after;
      if (typeof seconds === 'number' && seconds >= 0) ms = seconds * 1000;
    } catch {
      // no JSON: no hint
    }
  }
  return ms === undefined || !Number.isFinite(ms) ? undefined : Math.min(Math.ceil(ms), RETRY_AFTER_MAX_MS);
}
