// The one KV error the aggregator expects: a compare-and-set write that lost to a concurrent one (or a
// create on a key that exists).
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
