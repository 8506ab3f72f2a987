// The monitor database's worker entry in Node: two "tabs" (two instances of the module, each with its own exposed
// API) sharing a lock manager, a BroadcastChannel and the database. One ingests, the other shows its state; when
// the first stops, the second takes over. Comlink itself is replaced by a stub that hands over the exposed API.
import 'fake-indexeddb/auto';
import { countStoredEntries } from '../../web/src/lib/db/blocks.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sidecar } from '../../sidecar/src/server.ts';
import { MemorySource } from '../support/memory-source.ts';
import { openTruwatchDb } from '../../web/src/lib/db/open.ts';
import { MemoryLocks, waitFor } from '../support/ingest.ts';
import { API_KEY, slotLines, start, tempDir } from '../support/sidecar-in-process.ts';
import type { IngestApi, SharedIngestState } from '../../web/src/lib/ingest/worker-api.ts';

const exposed = vi.hoisted(() => [] as unknown[]);
vi.mock('comlink', () => ({ expose: (api: unknown) => void exposed.push(api) }));

async function openTab(): Promise<{ api: IngestApi; states: SharedIngestState[] }> {
  vi.resetModules();
  await import('../../web/src/lib/ingest/worker/monitor-db-worker.ts');
  const api = exposed.at(-1) as IngestApi;
  const states: SharedIngestState[] = [];
  api.subscribe((s) => states.push(s));
  return { api, states };
}

describe("the monitor database's worker", () => {
  const tmp = tempDir();
  let sidecar: Sidecar;
  const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

  beforeAll(async () => {
    Object.defineProperty(globalThis, 'navigator', {
      value: { locks: new MemoryLocks() },
      configurable: true,
    });
    sidecar = await start(tmp.dir, { source: new MemorySource(slotLines(0, 300)) });
  });
  afterAll(async () => {
    if (navigator) Object.defineProperty(globalThis, 'navigator', navigator);
    else delete (globalThis as { navigator?: unknown }).navigator;
    await sidecar.close();
    tmp.remove();
  });

  it('ingests in one tab only, shows its state in the others, and hands over when it stops', async () => {
    const a = await openTab();
    const b = await openTab();
    expect(a.states[0]).toMatchObject({ kind: 'idle', leader: false });
    const config = { baseUrl: sidecar.url, token: API_KEY };
    await a.api.start(config);
    await b.api.start(config);
    await waitFor(
      () => a.states.at(-1)?.kind === 'live' && a.states.at(-1)?.counters.entries === 300,
      'a live',
    );
    expect(a.states.at(-1)!.leader).toBe(true);
    // b waits for the lock and shows a's state, as a broadcast it.
    await waitFor(
      () => b.states.at(-1)?.kind === 'live' && b.states.at(-1)?.counters.entries === 300,
      'b shows a live',
    );
    expect(b.states.at(-1)).toMatchObject({ leader: false, counters: { entries: 300 } });
    expect(b.states.some((s) => s.leader)).toBe(false);
    b.api.reconnectNow(); // forwarded to a, whose connection is fresh: nothing happens

    await a.api.stop();
    await waitFor(() => b.states.at(-1)?.leader === true && b.states.at(-1)?.kind === 'live', 'b takes over');
    // b resumed from the cursor a stored: the entry at the cursor at most comes again.
    expect(b.states.at(-1)!.counters.entries).toBeLessThanOrEqual(1);
    const db = await openTruwatchDb();
    expect(await countStoredEntries(db)).toBe(300);
    db.close();
    await b.api.stop();
    expect(b.states.at(-1)).toMatchObject({ kind: 'stopped', leader: true });
  });
});
