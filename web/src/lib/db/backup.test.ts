import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../../../protocol/node-events.ts';
import { applyEntries, applyStatus } from './apply.ts';
import { exportBackup, importBackup, isSecretMetaKey } from './backup.ts';
import type { TruwatchDb } from './schema.ts';
import {
  chunks,
  deleteDb,
  dump,
  freshDb,
  generatedEntries,
  putAll,
} from '../../../../test/support/monitor-db.ts';

const gen = generatedEntries(120, 8);
const dbs: TruwatchDb[] = [];
afterEach(async () => {
  await Promise.all(dbs.splice(0).map((d) => deleteDb(d)));
});

async function filled(entries: Entry[] = gen.entries) {
  const db = await freshDb();
  dbs.push(db);
  for (const batch of chunks(entries, 500)) await applyEntries(db, batch, batch.at(-1)!.id);
  return db;
}

const withoutStatus = async (db: TruwatchDb) => {
  const d = await dump(db);
  return { ...d, node: d.node.map(({ status: _status, ...rest }) => rest) };
};

describe('exportBackup / importBackup', () => {
  it('round-trips through JSON, without secrets and without the stale status', async () => {
    const a = await filled();
    await applyStatus(a, { source: 'docker', state: 'live' });
    await putAll(a, 'meta', [
      { key: 'sidecarUrl', value: 'http://127.0.0.1:8484' },
      { key: 'token', value: 'pairing-token' },
      { key: 'federation.installSecret', value: 'abc' },
    ]);
    const backup = await exportBackup(a, new Date(Date.UTC(2026, 0, 1)));
    expect(backup).toMatchObject({
      format: 'truwatch-backup',
      version: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(backup.meta.map((m) => m.key).sort()).toEqual(['cursor', 'sidecarUrl']);

    const b = await freshDb();
    dbs.push(b);
    const r = await importBackup(b, JSON.parse(JSON.stringify(backup)));
    expect(r).toMatchObject({ entries: gen.entries.length, meta: 2 });
    const expected = await withoutStatus(a);
    expected.meta = expected.meta.filter((m) => !isSecretMetaKey(m.key));
    expect(await dump(b)).toEqual(expected);

    // Importing again changes nothing.
    await importBackup(b, backup);
    expect(await dump(b)).toEqual(expected);
  });

  it('merges with what is stored as if every entry had been applied to one store', async () => {
    const half = Math.floor(gen.entries.length / 2);
    const a = await filled(gen.entries.slice(0, half));
    const b = await filled(gen.entries.slice(half));
    const whole = await filled();
    await importBackup(b, await exportBackup(a));
    const [got, want] = [await dump(b), await dump(whole)];
    expect(got.tasks).toEqual(want.tasks);
    expect(got.invoices).toEqual(want.invoices);
    expect(got.payments).toEqual(want.payments);
    // Invoices in the first half whose notice is in the second: linked on import, as the stream links them.
    const crossed = want.invoices.filter(
      (i) => i.paid === 'paid' && i.paidMs! >= Date.parse(gen.entries[half]!.ts),
    );
    expect(crossed.length).toBeGreaterThan(0);
    expect(got.node).toEqual(want.node);
    expect(got.entries).toEqual(want.entries);
    // The local cursor wins over the backup's.
    expect(got.meta).toEqual([{ key: 'cursor', value: gen.entries.at(-1)!.id }]);
  });

  it('carries the paid notices, and reads a backup made before they were stored', async () => {
    const a = await filled();
    const backup = await exportBackup(a);
    expect(backup.payments.length).toBeGreaterThan(0);
    expect(backup.payments.length).toBe(gen.invoices.filter((i) => i.txHash).length);
    // A backup of an older version: no payments, invoices without paid fields.
    const older = JSON.parse(JSON.stringify(backup)) as Record<string, unknown> & { invoices: object[] };
    delete older.payments;
    older.invoices = older.invoices.map((i) => {
      const { paid: _p, paidMs: _m, txHash: _t, ...rest } = i as Record<string, unknown>;
      return rest;
    });
    const b = await freshDb();
    dbs.push(b);
    await importBackup(b, older);
    expect((await b.getAll('invoices')).every((i) => i.paid === 'unpaid')).toBe(true);
    // Its notices imported later link the invoices stored: the same as one import of everything.
    await importBackup(b, backup);
    expect((await dump(b)).invoices).toEqual((await dump(a)).invoices);
    // A payment whose hash is not a transaction hash is refused with where it is.
    const bad = JSON.parse(JSON.stringify(backup)) as { payments: { txHash?: string }[] };
    bad.payments[0]!.txHash = '0x12';
    await expect(importBackup(b, bad)).rejects.toThrow(/payments\.0\.txHash/);
  });

  it('never imports secret meta keys', async () => {
    const db = await freshDb();
    dbs.push(db);
    const backup = {
      format: 'truwatch-backup',
      version: 1,
      exportedAt: 'x',
      entries: [],
      tasks: [],
      invoices: [],
      node: null,
      meta: [
        { key: 'token', value: 't' },
        { key: 'theme', value: 'dark' },
      ],
    };
    await importBackup(db, backup);
    expect(await db.getAll('meta')).toEqual([{ key: 'theme', value: 'dark' }]);
  });

  const valid = {
    format: 'truwatch-backup',
    version: 1,
    exportedAt: '2026-01-01T00:00:00.000Z',
    entries: [],
    tasks: [],
    invoices: [],
    node: null,
    meta: [],
  };
  const goodEntry = {
    id: 'e1',
    ts: '2025-01-01T00:00:00Z',
    tsMs: 0,
    level: 'info',
    kind: 'message',
    message: 'm',
  };
  it.each([
    [null, /Not a truwatch backup/],
    ['text', /Not a truwatch backup/],
    [{ ...valid, format: 'other' }, /Not a truwatch backup/],
    [{ ...valid, version: 2 }, /Unsupported truwatch backup version 2/],
    [{ ...valid, entries: 'none' }, /at entries: /],
    [{ ...valid, entries: [{ ...goodEntry, stream: 'stdout', kind: 'bogus' }] }, /at entries\.0\.kind: /],
    [{ ...valid, entries: [{ ...goodEntry, stream: 'stdout', tsMs: 'soon' }] }, /at entries\.0\.tsMs: /],
    [{ ...valid, tasks: [{ executionId: 'x', status: 'lost', firstSeenMs: 1 }] }, /at tasks\.0\.status: /],
    [{ ...valid, node: { key: 'other' } }, /at node\.key: /],
    [{ ...valid, meta: [{ value: 1 }] }, /at meta\.0\.key: /],
  ])('rejects %j with a clear message and changes nothing', async (input, message) => {
    const db = await filled(gen.entries.slice(0, 50));
    const before = await dump(db);
    await expect(importBackup(db, input)).rejects.toThrow(message);
    expect(await dump(db)).toEqual(before);
  });
});
