// What the federation sends back: the aggregator's stats snapshot (the latest is kept) and the feed of
// anonymized finished tasks (kept for the operator's retention). Both validated with the strict schemas.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  FeedMessageSchema,
  MAX_PUBLISHED_BYTES,
  StatsMessageSchema,
  parseMessage,
} from '../../../../../protocol/federation.ts';
import { PROTOCOL_VERSION, SUBJECTS } from '../../../../../protocol/subjects.ts';
import { fedError, type FedError } from '../codes.ts';
import { inTransaction } from '../../db/idb.ts';
import type { FederationDb } from './federation-db.ts';

/** A message we could not use: another protocol version (FED_009), or not a valid message (FED_003). */
function rejection(data: Uint8Array, detail: string): FedError {
  try {
    const v = (JSON.parse(new TextDecoder().decode(data)) as { v?: unknown }).v;
    if (typeof v === 'number' && v !== PROTOCOL_VERSION)
      return fedError('FED_009', `received version ${v}, this truwatch speaks ${PROTOCOL_VERSION}`);
  } catch {
    // not JSON: a plain validation failure
  }
  return fedError('FED_003', `received message refused: ${detail}`);
}

export interface ReceiveEvents {
  /** A message refused (it is not kept). */
  error(error: FedError): void;
  /** A valid message, kept. */
  valid(): void;
}

export function receive(
  nc: NatsConnection,
  fed: FederationDb,
  now: () => number,
  on: ReceiveEvents,
): Subscription[] {
  const stats = nc.subscribe(SUBJECTS.stats, {
    callback: (err, msg) => {
      if (err) return;
      const parsed = parseMessage(StatsMessageSchema, msg.data, MAX_PUBLISHED_BYTES);
      if (!parsed.ok) return on.error(rejection(msg.data, parsed.detail));
      on.valid();
      void fed.set('stats', { receivedMs: now(), message: parsed.message }).catch(() => undefined);
    },
  });
  const feed = nc.subscribe(SUBJECTS.feed, {
    callback: (err, msg) => {
      if (err) return;
      const parsed = parseMessage(FeedMessageSchema, msg.data, MAX_PUBLISHED_BYTES);
      if (!parsed.ok) return on.error(rejection(msg.data, parsed.detail));
      on.valid();
      const { window, tasks } = parsed.message;
      const receivedMs = now();
      void inTransaction(fed.db.transaction('feed', 'readwrite'), (tx) =>
        Promise.all(tasks.map((task) => tx.store.add({ receivedMs, window, task }))),
      ).catch(() => undefined);
    },
  });
  return [stats, feed];
}
