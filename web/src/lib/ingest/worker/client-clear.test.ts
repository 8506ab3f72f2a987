// IngestClient when the stored history is cleared under an open stream: it must begin again from the start (no
// Last-Event-ID), never write the old stream's position into the emptied database.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { allEntries } from '../../db/blocks.ts';
import { CURSOR_KEY } from '../../db/apply.ts';
import { clearAll } from '../../db/prune.ts';
import { clientMaker, entry, freshDb, sse, waitFor } from '../../../../../test/support/ingest.ts';

const clients = clientMaker({ baseUrl: 'http://sidecar.test' });
afterEach(() => clients.stopAll());

/** Each request gets its own hand-fed stream; the Last-Event-ID of each is recorded. */
function streams() {
  const encoder = new TextEncoder();
  const opened: { cursor: string | undefined; send: (text: string) => void }[] = [];
  const fetchFn: typeof fetch = async (_input, init) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const headers = init?.headers as Record<string, string>;
    opened.push({
      cursor: headers['Last-Event-ID'],
      send: (text) => controller.enqueue(encoder.encode(text)),
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  return { opened, fetch: fetchFn };
}

const history = (from: number, to: number) => {
  const entries = Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
  return sse('batch', { entries }, entries.at(-1)!.id);
};

/** A client on a fresh database that received a history of three entries on its first connection. */
async function withHistoryOfThree() {
  const db = await freshDb();
  const s = streams();
  const c = clients.make({ db, fetch: s.fetch });
  c.start();
  await waitFor(() => s.opened.length === 1, 'the first connection');
  s.opened[0]!.send(history(1, 3));
  await waitFor(() => c.state.counters.entries === 3, 'the history');
  return { db, s, c };
}

describe('IngestClient after the history was cleared', () => {
  it('a live entry of the old stream is refused and the stream starts again from the beginning', async () => {
    const { db, s, c } = await withHistoryOfThree();
    await clearAll(db);
    // Nobody told the client: its next write finds the history cleared.
    s.opened[0]!.send(sse('entry', entry(4), entry(4).id));
    await waitFor(() => s.opened.length === 2, 'a new connection');
    expect(s.opened.map((o) => o.cursor)).toEqual([undefined, undefined]);
    expect(await allEntries(db)).toEqual([]);
    expect((await db.get('meta', CURSOR_KEY))?.value).toBeUndefined();
    s.opened[1]!.send(history(1, 4));
    await waitFor(() => c.state.counters.entries === 7, 'the whole history again');
    expect((await allEntries(db)).map((e) => e.id)).toEqual([1, 2, 3, 4].map((n) => entry(n).id));
    expect((await db.get('meta', CURSOR_KEY))?.value).toBe(entry(4).id);
  });

  it('restartNow() replaces a quiet, healthy connection at once, without its cursor', async () => {
    const { db, s, c } = await withHistoryOfThree();
    c.reconnectNow();
    expect(s.opened).toHaveLength(1); // reconnectNow() keeps a connection that has data
    await clearAll(db);
    c.restartNow();
    await waitFor(() => s.opened.length === 2, 'a new connection');
    expect(s.opened[1]!.cursor).toBeUndefined();
    expect(c.state.counters.reconnects).toBe(1);
  });
});
