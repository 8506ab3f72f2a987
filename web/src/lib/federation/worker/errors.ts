// What the NATS client, the browser and IndexedDB throw, as a federation error code (../codes.ts).
import { AuthorizationError, PermissionViolationError, TimeoutError } from '@nats-io/nats-core';
import { fedError, type FedError } from '../codes.ts';
import { IdentityError } from './identity.ts';

function text(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== error.message
    ? `${error.message} (${cause.message})`
    : error.message;
}

/** The code of an error thrown by a connection attempt, a publish or the federation database. */
export function classify(error: unknown): FedError {
  const message = text(error);
  if (error instanceof PermissionViolationError)
    return fedError('FED_010', message, Date.now(), error.subject);
  if (error instanceof AuthorizationError || /authoriz|authenticat|parse credentials|seed/i.test(message))
    return fedError('FED_002', message);
  if (error instanceof TimeoutError || /timeout|timed out/i.test(message))
    return fedError('FED_007', message);
  if (error instanceof IdentityError) return fedError('FED_005', message);
  if (/maximum (connections|subscriptions)|slow consumer|rate/i.test(message))
    return fedError('FED_004', message);
  if (
    /tls|ssl|certificate|insecure|SecurityError/i.test(message) ||
    (error as Error)?.name === 'SecurityError'
  )
    return fedError('FED_008', message);
  const name = (error as Error)?.name ?? '';
  if (
    /^(DatabaseClosedError|QuotaExceededError|OpenFailedError|AbortError|UnknownError|DataError|InvalidStateError)$/.test(
      name,
    )
  )
    return fedError('FED_006', message);
  return fedError('FED_001', message);
}
