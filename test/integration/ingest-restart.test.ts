// The whole path with the real file source: a generated runner log, the sidecar closed in the middle of the
// backfill and started again on the same port and directory, and live lines after. What the browser stores must
// equal the same log parsed in one go and written in one pass: no gap, no duplicate, same tasks and invoices.
import 'fake-indexeddb/auto';
import { allEntries, countStoredEntries } from '../../web/src/lib/db/blocks.ts';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../protocol/node-events.ts';
import { writeGeneratedLog } from '../../sidecar/src/demo/write-log.ts';
import { parseFile } from '../../sidecar/src/parse/read-log.ts';
import { startSidecar, type Sidecar } from '../../sidecar/src/server.ts';
import { formatFileCursor } from '../../sidecar/src/sources/file/cursor.ts';
import { applyEntries, CURSOR_KEY } from '../../web/src/lib/db/apply.ts';
import type { TruwatchDb } from '../../web/src/lib/db/schema.ts';
import { IngestClient } from '../../web/src/lib/ingest/worker/client.ts';
import { freshDb, pullThroughFetch, record, waitFor } from '../support/ingest.ts';
import { API_KEY, sidecarConfig, tempDir } from '../support/sidecar-in-process.ts';

const DAY = '2025-11-24';

/** The log parsed in one go, with the file source's cursors. */
async function fullParse(log: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  await parseFile(
    log,
    (batch) => entries.push(...batch),
    (offset) => formatFileCursor(DAY, 0, offset),
  );
  return entries;
}

/** The same entries written in batches of 500 into a fresh database. */
async function reference(entries: Entry[]): Promise<TruwatchDb> {
  const db = await freshDb();
  for (let i = 0; i < entries.length; i += 500) await applyEntries(db, entries.slice(i, i + 500));
  return db;
}

describe('ingest across a sidecar restart in the middle of a backfill (file source)', () => {
  const tmp = tempDir();
  const logs = join(tmp.dir, 'logs');
  const log = join(logs, `${DAY}.log`);
  let sidecar: Sidecar | undefined;
  const startAt = (port: number) => startSidecar(sidecarConfig(tmp.dir, port, { kind: 'file', dir: logs }));

  beforeAll(async () => {
    mkdirSync(logs);
    await writeGeneratedLog(log, { tasks: 300, startMs: Date.parse(`${DAY}T00:00:00Z`) });
  });
  afterAll(async () => {
    await sidecar?.close();
    tmp.remove();
  });

  it('stores exactly the entries, tasks and invoices of a full parse, then follows live', async () => {
    const expected = await fullParse(log);
    expect(expected.length).toBeGreaterThan(3000);
    sidecar = await startAt(0);
    const port = sidecar.port;
    const db = await freshDb();
    // The connection is cut when the sidecar closes: what was in flight is lost, as in a crash.
    const through = pullThroughFetch();
    const client = new IngestClient({
      baseUrl: sidecar.url,
      token: API_KEY,
      db,
      fetch: through.fetch,
      random: () => 0.999,
      backoff: { initialMs: 40, maxMs: 2000 },
    });
    const states = record(client);
    let closing: Promise<void> | undefined;
    // The sidecar goes away once a third of the log is stored: the middle of the backfill.
    client.subscribe((s) => {
      if (closing || s.counters.entries < expected.length / 3) return;
      through.cut();
      closing = sidecar!.close();
    });
    client.start();
    try {
      await waitFor(() => client.state.kind === 'unreachable', 'the sidecar gone');
      await closing;
      const stored = await countStoredEntries(db);
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(expected.length);
      expect(states.some((s) => s.kind === 'catching-up' && s.progress?.percent !== undefined)).toBe(true);

      // While it is gone the client waits longer and longer.
      const gone = states.length;
      const waits = () =>
        states
          .slice(gone)
          .filter((s) => s.kind === 'unreachable')
          .map((s) => s.nextRetryMs!);
      await waitFor(() => waits().length >= 3, 'attempts while the sidecar is down');
      const w = waits();
      expect(w[1]).toBeGreaterThan(w[0]!);
      expect(w[2]).toBeGreaterThan(w[1]!);

      sidecar = await startAt(port);
      await waitFor(
        async () => client.state.kind === 'live' && (await countStoredEntries(db)) >= expected.length,
        'live',
      );

      // The runner writes on: the new lines arrive live.
      const more = readFileSync(log, 'utf8').split('\n').slice(0, 40).join('\n') + '\n';
      appendFileSync(log, more.replaceAll(`${DAY} 00:`, `${DAY} 23:`));
      const all = await fullParse(log);
      expect(all.length).toBeGreaterThan(expected.length);
      await waitFor(async () => (await countStoredEntries(db)) === all.length, 'the appended lines', 10_000);
      expect(client.state.kind).toBe('live');

      const ids = (await allEntries(db)).map((e) => e.id);
      expect(ids).toEqual(all.map((e) => e.id).sort());
      expect((await db.get('meta', CURSOR_KEY))?.value).toBe(all.at(-1)!.id);
      const ref = await reference(all);
      expect(await allEntries(db)).toEqual(await allEntries(ref));
      expect(await db.getAll('tasks')).toEqual(await ref.getAll('tasks'));
      expect(await db.getAll('invoices')).toEqual(await ref.getAll('invoices'));
      expect(await db.count('tasks')).toBeGreaterThan(250);
      expect(client.state.counters).toMatchObject({ invalid: 0 });
      expect(client.state.counters.reconnects).toBeGreaterThanOrEqual(4);
    } finally {
      await client.stop();
    }
  });
});
