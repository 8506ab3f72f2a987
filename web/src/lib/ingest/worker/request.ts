// Opening GET /api/events: the bearer token, the resume cursor, and every answer that is not an event stream
// turned into an error that says what to do next (401/403: stop; 429/503: wait at least Retry-After; …).
import { HttpError, retryAfter, UnauthorizedError } from './errors.ts';

/** What the sidecar accepts as Last-Event-ID; anything else stored is ignored (a full re-read, stored by id). */
const CURSOR = /^[\x21-\x7e]{1,200}$/;

export interface OpenOptions {
  fetch: typeof fetch;
  baseUrl: string;
  token: string;
  cursor: unknown;
  signal: AbortSignal;
}

/** The body of the event stream, resuming after `cursor`. */
export async function openEventStream(options: OpenOptions): Promise<ReadableStream<Uint8Array>> {
  const { signal } = options;
  const headers: Record<string, string> = {
    Authorization: `Bearer ${options.token}`,
    Accept: 'text/event-stream',
  };
  if (typeof options.cursor === 'string' && CURSOR.test(options.cursor))
    headers['Last-Event-ID'] = options.cursor;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/api/events`;
  const response = await abortable(options.fetch(url, { headers, signal }), signal);
  if (!response.ok || !response.body) {
    discard(response);
    if (response.status === 401 || response.status === 403)
      throw new UnauthorizedError(`the sidecar rejected the token (HTTP ${response.status})`);
    throw new HttpError(response.status, retryAfter(response.headers.get('retry-after')));
  }
  if (!/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '')) {
    discard(response);
    throw new Error('the answer is not an event stream (is the URL the sidecar?)');
  }
  return response.body;
}

function discard(response: Response): void {
  void response.body?.cancel().catch(() => {});
}

/**
 * Rejects with the signal's reason when it aborts first: a fetch that ignores its signal must not hang stop().
 * A response that arrives after that is discarded.
 */
function abortable(promise: Promise<Response>, signal: AbortSignal): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise
      .then((response) => (signal.aborted ? discard(response) : resolve(response)), reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
