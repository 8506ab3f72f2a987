// IngestClient against hand-written streams and answers: bad events, grouping of live entries, catch-up progress,
// HTTP errors, a silent connection.
import 'fake-indexeddb/auto';
import { allEntries } from '../../db/blocks.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../../../../protocol/node-events.ts';
import { applyEntries, CURSOR_KEY } from '../../db/apply.ts';
import {
  clientMaker,
  entry,
  freshDb,
  handFedStream,
  record,
  sse,
  waitFor,
} from '../../../../../test/support/ingest.ts';

const clients = clientMaker({ baseUrl: 'http://sidecar.test' });
const client = clients.make;
afterEach(() => clients.stopAll());

/** applyEntries that records the size of each write and its cursor. */
function recordingApply() {
  const writes: { size: number; cursor: string | undefined }[] = [];
  const apply: typeof applyEntries = (db, entries, cursor) => {
    writes.push({ size: entries.length, cursor });
    return applyEntries(db, entries, cursor);
  };
  return { writes, apply };
}

describe('IngestClient, event by event', () => {
  it('counts and skips bad entries and statuses, keeps the good ones, and moves the cursor past the bad', async () => {
    const db = await freshDb();
    const stream = handFedStream();
    const c = client({ db, fetch: stream.fetch });
    c.start();
    const bad = { ...entry(2), kind: 'no-such-kind' };
    stream.send(sse('batch', { entries: [entry(1), bad, entry(3)] }, entry(3).id));
    stream.send(sse('batch', 'not json', 'f.m.00000004'));
    stream.send(
      sse('batch', { entries: [entry(5), { id: 'x' }, entry(6, { ts: 'not a time' })] }, 'f.m.00000007'),
    );
    stream.send(sse('entry', '{"truncated', 'f.m.00000008'));
    stream.send(sse('status', { source: 'file', state: 'nonsense' }));
    stream.send(sse('something-newer', { x: 1 }));
    stream.send(sse('entry', entry(9), entry(9).id));
    await waitFor(() => c.state.counters.entries === 4, 'the good entries');
    const ids = (await allEntries(db)).map((e) => e.id);
    expect(ids).toEqual([entry(1).id, entry(3).id, entry(5).id, entry(9).id]);
    // The schema's bad entry, the unparseable batch, {id:'x'}, the bad time (refused by the database), the broken
    // entry, the bad status.
    expect(c.state.counters.invalid).toBe(6);
    expect((await db.get('meta', CURSOR_KEY))?.value).toBe(entry(9).id);
    expect(c.state.kind).toBe('live');
  });

  it('writes live entries received together in one transaction, at most maxGroup, never waiting for more', async () => {
    const stream = handFedStream();
    const { writes, apply } = recordingApply();
    const c = client({
      fetch: stream.fetch,
      maxGroup: 500,
      apply: { applyEntries: apply, applyStatus: async () => {} },
    });
    c.start();
    let text = '';
    for (let i = 0; i < 700; i++) text += sse('entry', entry(i), entry(i).id);
    stream.send(text);
    await waitFor(() => c.state.counters.entries === 700, 'the first 700');
    expect(writes).toEqual([
      { size: 500, cursor: entry(499).id },
      { size: 200, cursor: entry(699).id },
    ]);
    // One more, alone: written at once, though the stream stays open.
    stream.send(sse('entry', entry(700), entry(700).id));
    await waitFor(() => c.state.counters.entries === 701, 'the one after');
    expect(writes.at(-1)).toEqual({ size: 1, cursor: entry(700).id });
    // A status between entries keeps the order: the entries before it are written before it.
    stream.send(
      sse('entry', entry(701), entry(701).id) +
        sse('status', { source: 'file', state: 'live' }) +
        sse('entry', entry(702), entry(702).id),
    );
    await waitFor(() => c.state.counters.entries === 703, 'the last two');
    expect(writes.slice(-2).map((w) => w.size)).toEqual([1, 1]);
  });

  it('shows catch-up progress: entries, percent and time left from the backfill statuses', async () => {
    let now = 0;
    const stream = handFedStream();
    const c = client({ fetch: stream.fetch, now: () => now });
    const states = record(c);
    c.start();
    const status = (bytes: number, done = false) =>
      sse('status', {
        source: 'file',
        state: 'backfill',
        backfill: { entries: bytes / 10, bytes, totalBytes: 10_000, done },
      });
    stream.send(status(1000));
    await waitFor(() => c.state.kind === 'catching-up' && c.state.progress?.percent === 10, '10 %');
    expect(c.state.progress?.etaSeconds).toBeUndefined();
    now = 2000;
    const batch: Entry[] = Array.from({ length: 50 }, (_, i) => entry(i));
    stream.send(sse('batch', { entries: batch }, batch.at(-1)!.id) + status(3000));
    await waitFor(() => c.state.progress?.percent === 30, '30 %');
    // 2000 bytes in 2 s: 7000 bytes left take 7 s.
    expect(c.state.progress).toEqual({ entries: 50, percent: 30, etaSeconds: 7 });
    stream.send(status(10_000, true));
    await waitFor(() => c.state.kind === 'live', 'live');
    expect(c.state.progress).toBeUndefined();
    expect(c.state.source?.backfill?.done).toBe(true);
    expect(states.filter((s) => s.kind === 'catching-up').length).toBeGreaterThanOrEqual(3);
  });

  it('says unreachable when the stream ends, and reconnects from the stored cursor', async () => {
    const streams = [handFedStream(), handFedStream()];
    const headers: Record<string, string>[] = [];
    const fetchFn: typeof fetch = (input, init) => {
      headers.push({ ...(init?.headers as Record<string, string>) });
      return streams[headers.length - 1]!.fetch(input, init);
    };
    const c = client({ fetch: fetchFn, random: () => 0.5 });
    const states = record(c);
    c.start();
    streams[0]!.send(sse('entry', entry(1), entry(1).id));
    await waitFor(() => c.state.counters.entries === 1, 'one entry');
    streams[0]!.end();
    await waitFor(() => headers.length === 2, 'the reconnection');
    expect(headers[0]!['Last-Event-ID']).toBeUndefined();
    expect(headers[1]!['Last-Event-ID']).toBe(entry(1).id);
    const unreachable = states.find((s) => s.kind === 'unreachable')!;
    // A connection that worked resets the backoff: the first wait is short again.
    expect(unreachable).toMatchObject({ lastError: 'the sidecar ended the stream', nextRetryMs: 15 });
    expect(c.state.counters.reconnects).toBe(1);
  });
});

describe('IngestClient, answers other than a stream', () => {
  const answer =
    (status: number, headers: Record<string, string> = {}, body = '{}'): typeof fetch =>
    async () =>
      new Response(body, { status, headers });

  it('waits at least Retry-After on 429 and 503', async () => {
    for (const status of [429, 503]) {
      const c = client({
        fetch: answer(status, { 'retry-after': '5' }),
        backoff: { initialMs: 10, maxMs: 60_000 },
      });
      c.start();
      await waitFor(() => c.state.kind === 'unreachable', `unreachable on ${status}`);
      expect(c.state.nextRetryMs).toBe(5000);
      expect(c.state.lastError).toBe(`the sidecar answered HTTP ${status}`);
      await c.stop();
    }
  });

  it('ends a connection whose event outgrows the parser (8 MiB), and retries', async () => {
    const stream = handFedStream();
    const c = client({ fetch: stream.fetch });
    c.start();
    stream.send('event: batch\ndata: ');
    const mb = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 9; i++) stream.send(mb);
    await waitFor(() => c.state.kind === 'unreachable', 'unreachable');
    expect(c.state.lastError).toBe('an event is larger than 8388608 characters');
  });

  it('refuses an answer that is not an event stream (a wrong URL serving the app)', async () => {
    const c = client({ fetch: answer(200, { 'content-type': 'text/html' }, '<!doctype html>') });
    c.start();
    await waitFor(() => c.state.kind === 'unreachable', 'unreachable');
    expect(c.state.lastError).toMatch(/not an event stream/);
  });

  it('gives up on a connection that stays silent, or a fetch that never answers, and retries', async () => {
    const stream = handFedStream();
    let calls = 0;
    const c = client({
      fetch: (input, init) => (calls++ === 0 ? stream.fetch(input, init) : new Promise(() => {})),
      idleTimeoutMs: 100,
    });
    const states = record(c);
    c.start();
    stream.send(': truwatch events\nretry: 2000\n\n');
    await waitFor(() => states.filter((s) => s.kind === 'unreachable').length >= 2, 'two timeouts');
    const errors = states.filter((s) => s.kind === 'unreachable').map((s) => s.lastError);
    expect(errors.slice(0, 2)).toEqual([
      'no data from the sidecar for 0.1 s',
      'no data from the sidecar for 0.1 s',
    ]);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
