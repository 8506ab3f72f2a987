// Counted messages a nats-server crash left in the ingest work queue: the consumer recorded their
// acknowledgement (they are at or below its ack floor, so counted and never delivered again) but the stream
// lost their removal, and they would wait for max_age (an hour) taking space. Each is deleted by its
// sequence, only at or below an ack floor read before: the floor only rises, so no message still to count
// is touched. (Purging the stream up to the floor instead lost counts on nats-server 2.9.10.)
import type { JetStreamManager } from '@nats-io/jetstream';
import { INGEST_STREAM } from './setup.ts';

/** Deletes at most `limit` counted messages left at or below `ackFloor`; resolves with how many it deleted. */
export async function removeLeftovers(
  jsm: JetStreamManager,
  ackFloor: number,
  limit: number,
): Promise<number> {
  const { state } = await jsm.streams.info(INGEST_STREAM);
  if (state.messages === 0 || state.first_seq > ackFloor) return 0;
  let removed = 0;
  let seq = state.first_seq;
  while (removed < limit) {
    // The next message at or after `seq`, whatever its subject: deleted ones in between are skipped.
    const message = await jsm.streams.getMessage(INGEST_STREAM, { seq, next_by_subj: '>' } as {
      seq: number;
    });
    if (!message || message.seq > ackFloor) break;
    // Without erasing (overwriting the bytes): 2.9.10's file store answers that with an error.
    if (await jsm.streams.deleteMessage(INGEST_STREAM, message.seq, false)) removed++;
    seq = message.seq + 1;
  }
  return removed;
}
