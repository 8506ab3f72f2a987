// Why a connection to the sidecar ended, and what the next attempt should make of it.

/** The sidecar answered 401/403: retrying with the same token is pointless. */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

/** Any other answer than an event stream: 429 (rate-limited), 5xx, … */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`the sidecar answered HTTP ${status}`);
  }
}

/** A `Retry-After` header in seconds (the form the sidecar sends), as ms. */
export function retryAfter(header: string | null): number | undefined {
  const seconds = header === null || header.trim() === '' ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A sentence for the page: the error and its cause (fetch's "fetch failed" hides the reason in `cause`). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { message?: unknown } }).cause?.message;
  return typeof cause === 'string' && cause !== error.message ? `${error.message} (${cause})` : error.message;
}
