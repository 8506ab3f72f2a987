// For tests: a JetStream stream on the ingest subjects, made as the aggregator user, so every message the
// monitors publish is kept and can be read back in order, also what arrived while no test was reading.
// Each read opens its own connection, so a restart of the server in between costs nothing.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { INGEST_SUBJECTS } from '../../protocol/subjects.ts';
import { DEV_USERS, type NatsServer } from './nats-server.ts';

export interface IngestReader {
  /** Every stored message on `subject`, oldest first, as text. */
  messages(subject: string): Promise<string[]>;
  /** The same, each with when the server received it (epoch ms, the server's clock). */
  arrivals(subject: string): Promise<{ text: string; atMs: number }[]>;
}

const STREAM = 'TEST_INGEST';

async function withManager<T>(server: NatsServer, fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc = await connect({
    servers: server.url,
    ...DEV_USERS.aggregator,
    inboxPrefix: '_INBOX_aggregator',
    reconnect: false,
  });
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

export async function ingestReader(server: NatsServer): Promise<IngestReader> {
  await withManager(server, (jsm) =>
    // no_ack, as the aggregator's ingest stream: an acknowledgement would answer a monitor's reply subject.
    jsm.streams.add({ name: STREAM, subjects: [...INGEST_SUBJECTS], max_msgs: 100_000, no_ack: true }),
  );
  const arrivals = (subject: string) =>
    withManager(server, async (jsm) => {
      const { state } = await jsm.streams.info(STREAM);
      const out: { text: string; atMs: number }[] = [];
      if (state.messages === 0) return out;
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(STREAM, { seq });
        if (msg?.subject === subject) out.push({ text: msg.string(), atMs: msg.time.getTime() });
      }
      return out;
    });
  return {
    arrivals,
    messages: async (subject) => (await arrivals(subject)).map((m) => m.text),
  };
}
