// IngestClient against a real sidecar in this process (memory source): backfill then live, resuming from the
// stored cursor, a wrong token, a sidecar that is not there yet, stop(), and backpressure.
import 'fake-indexeddb/auto';
import { allEntries, countStoredEntries } from '../../web/src/lib/db/blocks.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../protocol/node-events.ts';
import type { Sidecar } from '../../sidecar/src/server.ts';
import { MemorySource } from '../support/memory-source.ts';
import { applyEntries, CURSOR_KEY } from '../../web/src/lib/db/apply.ts';
import { freePort } from '../support/free-port.ts';
import {
  freshDb,
  pullThroughFetch,
  record,
  recordingFetch,
  sleep,
  clientMaker,
  waitFor,
} from '../support/ingest.ts';
import { API_KEY, slotLines, start, tempDir } from '../support/sidecar-in-process.ts';

const clients = clientMaker({ token: API_KEY });
const client = clients.make;
afterEach(() => clients.stopAll());

describe('IngestClient with a real sidecar', () => {
  const tmp = tempDir();
  let source: MemorySource;
  let sidecar: Sidecar;

  beforeAll(async () => {
    source = new MemorySource(slotLines(0, 1200));
    sidecar = await start(tmp.dir, { source });
  });
  afterAll(async () => {
    await sidecar.close();
    tmp.remove();
  });

  it('stores the backfill, then live lines, with the cursor; a closed tab resumes from it', async () => {
    const db = await freshDb();
    const first = client({ baseUrl: sidecar.url, db });
    const states = record(first);
    first.start();
    await waitFor(
      async () => first.state.kind === 'live' && (await countStoredEntries(db)) === 1200,
      'backfill',
    );
    expect(states.map((s) => s.kind)).toEqual(
      expect.arrayContaining(['idle', 'connecting', 'catching-up', 'live']),
    );
    expect(states.find((s) => s.kind === 'catching-up')?.progress).toMatchObject({ entries: 0 });

    source.append(...slotLines(1200, 1205));
    await waitFor(async () => (await countStoredEntries(db)) === 1205, 'live lines');
    const last = (await allEntries(db)).at(-1)!;
    expect(last.id).toBe('f.m.00001204');
    expect((await db.get('meta', CURSOR_KEY))?.value).toBe(last.id);
    expect(first.state).toMatchObject({
      kind: 'live',
      counters: { entries: 1205, invalid: 0, reconnects: 0 },
    });
    await first.stop();
    expect(first.state.kind).toBe('stopped');

    // The tab is closed; the runner writes on; a new tab opens on the same database.
    source.append(...slotLines(1205, 1215));
    const { calls, fetch } = recordingFetch();
    const second = client({ baseUrl: sidecar.url, db, fetch });
    second.start();
    await waitFor(async () => (await countStoredEntries(db)) === 1215, 'the lines written while closed');
    expect(calls[0]!.headers['Last-Event-ID']).toBe('f.m.00001204');
    // The entry at the cursor comes again (it may have got continuation lines since): stored by id, once.
    expect(second.state.counters.entries).toBeGreaterThanOrEqual(10);
    expect(second.state.counters.entries).toBeLessThanOrEqual(11);
    expect((await db.get('meta', CURSOR_KEY))?.value).toBe('f.m.00001214');
  });

  it('stops at a wrong token until reconnectNow() or a new token', async () => {
    const { calls, fetch } = recordingFetch();
    const c = client({ baseUrl: sidecar.url, token: 'wrong-token-0000000000', fetch });
    c.start();
    await waitFor(() => c.state.kind === 'unauthorized', 'unauthorized');
    expect(c.state.lastError).toMatch(/rejected the token \(HTTP 401\)/);
    await sleep(200);
    expect(calls).toHaveLength(1);
    c.reconnectNow();
    await waitFor(() => calls.length === 2 && c.state.kind === 'unauthorized', 'a second try');
    c.setToken(API_KEY);
    await waitFor(() => c.state.kind === 'live', 'live with the new token');
    expect(calls[2]!.headers.Authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('stop() ends the stream and every timer at once', async () => {
    const { calls, fetch } = recordingFetch();
    const c = client({ baseUrl: sidecar.url, fetch });
    c.start();
    await waitFor(() => c.state.kind === 'live', 'live');
    const started = Date.now();
    await c.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(c.state.kind).toBe('stopped');
    await sleep(100);
    expect(calls).toHaveLength(1);
  });

  it('reads no faster than it writes: a slow database holds the stream back (backpressure)', async () => {
    // ~6 MB of events; every write takes 5 ms. The bytes read may run ahead of what was written by the queue's
    // bound (64 KiB here), one write and one chunk.
    const big = new MemorySource(slotLines(0, 20_000, 250));
    const tmp2 = tempDir();
    const slow = await start(tmp2.dir, { source: big });
    const through = pullThroughFetch();
    let written = 0;
    let ahead = 0;
    const slowApply = async (_db: unknown, entries: Entry[]) => {
      written += JSON.stringify({ entries }).length;
      ahead = Math.max(ahead, through.stats.read - written);
      await sleep(5);
      return { entries: entries.length, unchanged: 0, invalid: 0, tasks: 0, invoices: 0 };
    };
    const c = client({
      baseUrl: slow.url,
      fetch: through.fetch,
      maxGroup: 200,
      queueLimits: { maxChars: 64 * 1024 },
      apply: { applyEntries: slowApply as typeof applyEntries, applyStatus: async () => {} },
    });
    c.start();
    await waitFor(() => c.state.counters.entries === 20_000, 'the whole backfill', 25_000);
    await c.stop();
    await slow.close();
    tmp2.remove();
    const read = through.stats.read;
    expect(read).toBeGreaterThan(5_000_000);
    expect(ahead).toBeLessThan(256 * 1024);
    console.log(`backpressure: read ${read} bytes, at most ${ahead} bytes ahead of the writes`);
  });
});

describe('IngestClient when the sidecar is not there', () => {
  it('is unreachable with a growing wait, and goes live as soon as the sidecar starts', async () => {
    const tmp = tempDir();
    const port = await freePort();
    const c = client({
      baseUrl: `http://127.0.0.1:${port}`,
      random: () => 0.999,
      backoff: { initialMs: 40 },
    });
    const states = record(c);
    c.start();
    const waits = () => states.filter((s) => s.kind === 'unreachable').map((s) => s.nextRetryMs!);
    await waitFor(() => waits().length >= 4, 'four failed attempts');
    const w = waits();
    expect(w.slice(0, 4)).toEqual([40, 80, 160, 320]);
    expect(c.state.lastError).toMatch(/fetch failed \(.*ECONNREFUSED/);
    expect(c.state.counters.reconnects).toBeGreaterThanOrEqual(3);

    const sidecar = await start(tmp.dir, { port, source: new MemorySource(slotLines(0, 10)) });
    try {
      c.reconnectNow(); // as the page's `online` event would
      await waitFor(() => c.state.kind === 'live' && c.state.counters.entries === 10, 'live');
      expect(c.state.lastError).toBeUndefined();
    } finally {
      await c.stop();
      await sidecar.close();
      tmp.remove();
    }
  });
});
