import 'fake-indexeddb/auto';
import { countStoredEntries, getEntry } from './blocks.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../../../protocol/node-events.ts';
import { applyEntries, applyStatus } from './apply.ts';
import type { TruwatchDb } from './schema.ts';
import {
  chunks,
  deleteDb,
  dump,
  freshDb,
  generatedEntries,
  sampleEntries,
  shuffled,
} from '../../../../test/support/monitor-db.ts';

let db: TruwatchDb;
afterEach(async () => {
  await deleteDb(db);
});

async function applyAll(target: TruwatchDb, entries: Entry[], size = 500) {
  for (const batch of chunks(entries, size)) await applyEntries(target, batch);
}

async function derived(target: TruwatchDb) {
  const { tasks, invoices, payments, node } = await dump(target);
  return { tasks, invoices, payments, node: node.map(({ status: _status, ...rest }) => rest) };
}

describe('applyEntries over a generated log', () => {
  const gen = generatedEntries(400);

  it('derives tasks and invoices equal to the ground truth', async () => {
    db = await freshDb();
    await applyAll(db, gen.entries);
    expect(await countStoredEntries(db)).toBe(gen.entries.length);
    const tasks = new Map((await db.getAll('tasks')).map((t) => [t.executionId, t]));
    expect(tasks.size).toBe(gen.executions.length);
    const invoiceOf = new Map(gen.invoices.map((i) => [i.executionId, i.invoiceId]));
    for (const truth of gen.executions) {
      const task = tasks.get(truth.executionId)!;
      expect(task, truth.executionId).toMatchObject({
        status: truth.outcome,
        kind: truth.kind,
        chainId: truth.chainId,
        blockNumber: truth.blockNumber,
      });
      expect(task.steps).toBe(truth.steps);
      expect(task.invoiceId).toBe(invoiceOf.get(truth.executionId));
      expect(task.taskId).toBe(truth.taskId);
      for (const key of ['exitCode', 'steps', 'memoryPeak', 'cached'] as const)
        expect(task.metrics?.[key], key).toBe(truth[key]);
      if (truth.elapsedMs === undefined) expect(task.elapsedMs).toBeUndefined();
      else expect(task.elapsedMs).toBeCloseTo(truth.elapsedMs, 6);
      expect(task.finishedMs).toBeGreaterThanOrEqual(task.firstSeenMs);
      expect(task.receivedMs).toBe(task.firstSeenMs);
    }
    const invoices = (await db.getAll('invoices')).sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
    expect(invoices.map((i) => [i.key, i.executionId, i.steps])).toEqual(
      gen.invoices.map((i) => [i.invoiceId, i.executionId, i.steps]),
    );
    // Paid exactly when the log has a notice for it, with that notice's transaction hash.
    expect(invoices.map((i) => [i.paid, i.txHash])).toEqual(
      gen.invoices.map((i) => (i.txHash ? ['paid', i.txHash] : ['unpaid', undefined])),
    );
    expect(gen.invoices.filter((i) => !i.txHash).length).toBeGreaterThan(0);
    const notices = gen.entries.filter((e) => e.kind === 'invoice.paid');
    for (const inv of invoices.filter((i) => i.paid === 'paid'))
      expect(inv.paidMs).toBe(Date.parse(notices.find((e) => e.paid?.invoiceId === inv.key)!.ts));
    const node = await db.get('node', 'node');
    expect(node).toMatchObject({ runnerVersion: '2.0.0-beta.5', address: expect.stringMatching(/^0x/) });
    expect(node?.slots?.total).toBe(4);
    expect(node?.lastEntryMs).toBe(Math.max(...gen.entries.map((e) => Date.parse(e.ts))));
  });

  it('is idempotent: the same batches again change nothing', async () => {
    db = await freshDb();
    await applyAll(db, gen.entries);
    const before = await dump(db);
    let written = 0;
    for (const batch of chunks(gen.entries, 500)) {
      const r = await applyEntries(db, batch);
      written += r.entries + r.tasks + r.invoices;
    }
    expect(written).toBe(0);
    expect(await dump(db)).toEqual(before);
  });

  it('is order-tolerant: shuffled entries in batches of any size give the same records', async () => {
    db = await freshDb();
    await applyAll(db, gen.entries);
    const expected = await derived(db);
    for (const [seed, size] of [
      [1, 500],
      [2, 37],
      [3, 1000],
    ] as const) {
      const other = await freshDb();
      await applyAll(other, shuffled(gen.entries, seed), size);
      expect(await derived(other)).toEqual(expected);
      await deleteDb(other);
    }
    const reversed = await freshDb();
    await applyAll(reversed, [...gen.entries].reverse(), 200);
    expect(await derived(reversed)).toEqual(expected);
    await deleteDb(reversed);
  });

  it('links an invoice that arrives before its task', async () => {
    db = await freshDb();
    const invoices = gen.entries.filter((e) => e.kind === 'invoice');
    await applyEntries(db, invoices);
    expect(await db.count('tasks')).toBe(0);
    await applyAll(
      db,
      gen.entries.filter((e) => e.kind !== 'invoice'),
    );
    const withInvoice = (await db.getAll('tasks')).filter((t) => t.invoiceId !== undefined).length;
    expect(withInvoice).toBe(gen.invoices.length);
  });

  it('links a paid notice to its invoice in either order, and keeps a notice whose invoice is not stored', async () => {
    const invoice = gen.entries.find(
      (e) => e.kind === 'invoice' && gen.invoices[0]!.invoiceId === e.invoice?.invoiceId,
    )!;
    const notice = gen.entries.find(
      (e) => e.kind === 'invoice.paid' && e.paid?.invoiceId === invoice.invoice?.invoiceId,
    )!;
    expect(notice).toBeDefined();
    const stray: Entry = { ...notice, id: `${notice.id}x`, paid: { invoiceId: 'never-seen' } };
    const orders: Entry[][][] = [
      [[invoice], [notice], [stray]],
      [[notice], [stray], [invoice]],
      [[stray, notice, invoice]],
      [[invoice, stray, notice]],
    ];
    const results = [];
    for (const batches of orders) {
      const one = await freshDb();
      for (const batch of batches) await applyEntries(one, batch);
      const { invoices, payments } = await dump(one);
      results.push({ invoices, payments });
      await deleteDb(one);
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    expect(results[0]!.invoices).toMatchObject([
      {
        key: invoice.invoice!.invoiceId,
        paid: 'paid',
        paidMs: Date.parse(notice.ts),
        txHash: notice.paid!.txHash,
      },
    ]);
    expect(results[0]!.payments.map((p) => p.key).sort()).toEqual(
      [invoice.invoice!.invoiceId, 'never-seen'].sort(),
    );
    db = await freshDb();
  });

  it('takes the earliest notice when an invoice is announced paid twice', async () => {
    const notice = gen.entries.find((e) => e.kind === 'invoice.paid')!;
    const invoice = gen.entries.find(
      (e) => e.kind === 'invoice' && e.invoice?.invoiceId === notice.paid!.invoiceId,
    )!;
    const later: Entry = {
      ...notice,
      id: `${notice.id}z`,
      ts: new Date(Date.parse(notice.ts) + 60_000).toISOString(),
      paid: { invoiceId: notice.paid!.invoiceId, txHash: `0x${'cd'.repeat(32)}` },
    };
    db = await freshDb();
    await applyEntries(db, [later, invoice]);
    await applyEntries(db, [notice]);
    expect(await db.get('invoices', notice.paid!.invoiceId)).toMatchObject({
      paid: 'paid',
      paidMs: Date.parse(notice.ts),
      txHash: notice.paid!.txHash,
    });
  });

  it('applies 500-entry batches (median time printed)', async () => {
    db = await freshDb();
    const batches = chunks(generatedEntries(2000, 5).entries, 500);
    const times: number[] = [];
    for (const batch of batches) {
      const t0 = performance.now();
      await applyEntries(db, batch);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `apply: ${batches.length} batches of 500 entries, median ${median.toFixed(1)} ms (fake-indexeddb)`,
    );
    expect(median).toBeLessThan(1000);
  });
});

describe('applyEntries with re-sent entries', () => {
  const gen = generatedEntries(40, 11);
  /** The version of an entry the sidecar emits before its continuation lines arrive. */
  const early = (e: Entry, patch: Partial<Entry> = {}): Entry => {
    const { text: _text, metrics: _metrics, outcome: _outcome, invoice: _invoice, ...rest } = e;
    return { ...rest, ...patch };
  };

  it('replaces an entry re-sent with more text, and re-derives what it said', async () => {
    const full = gen.entries;
    const metrics = full.find((e) => e.kind === 'task.metrics' && e.text && e.outcome)!;
    const invoice = full.find((e) => e.kind === 'invoice' && e.text)!;
    // The early metrics entry was attributed to another execution; the early invoice had no fields.
    const other = full.find((e) => e.kind === 'task.received' && e.executionId !== metrics.executionId)!;
    const earlyMetrics = early(metrics, { executionId: other.executionId! });
    const earlyInvoice = early(invoice, { invoice: { lineItems: [] } });

    const straight = await freshDb();
    await applyEntries(straight, full);
    db = await freshDb();
    const first = full.map((e) =>
      e.id === metrics.id ? earlyMetrics : e.id === invoice.id ? earlyInvoice : e,
    );
    await applyEntries(db, first);
    expect(await db.get('invoices', invoice.id)).toBeDefined();
    expect((await db.get('tasks', metrics.executionId!))?.status).not.toBe(metrics.outcome);

    const r = await applyEntries(db, [metrics, invoice]);
    expect(r).toMatchObject({ entries: 2, unchanged: 0 });
    expect(await derived(db)).toEqual(await derived(straight));
    expect(await getEntry(db, metrics.id)).toEqual(await getEntry(straight, metrics.id));

    // A version with less text than the stored one is a stale replay: ignored.
    expect(await applyEntries(db, [earlyMetrics])).toMatchObject({ entries: 0, unchanged: 1 });
    expect(await derived(db)).toEqual(await derived(straight));
    await deleteDb(straight);
  });

  it('keeps the fuller version when both are in one batch, in any order', async () => {
    const metrics = gen.entries.find((e) => e.kind === 'task.metrics' && e.text)!;
    db = await freshDb();
    await applyEntries(db, [metrics, early(metrics)]);
    await applyEntries(db, [early(metrics), metrics]);
    expect((await getEntry(db, metrics.id))?.text).toBe(metrics.text);
  });
});

describe('applyEntries on the sample log', () => {
  it('stores every entry with its time, the cursor, and the latest slots', async () => {
    const entries = sampleEntries();
    db = await freshDb();
    const r = await applyEntries(db, entries, entries.at(-1)!.id);
    expect(r.entries).toBe(entries.length);
    expect(await db.get('meta', 'cursor')).toEqual({ key: 'cursor', value: entries.at(-1)!.id });
    const stored = await getEntry(db, entries[0]!.id);
    expect(stored?.tsMs).toBe(Date.parse(entries[0]!.ts));
    const lastSlot = entries.filter((e) => e.kind.startsWith('slot.')).at(-1)!;
    expect((await db.get('node', 'node'))?.slots).toEqual({
      active: lastSlot.slots!.active,
      total: lastSlot.slots!.total,
      atMs: Date.parse(lastSlot.ts),
      entryId: lastSlot.id,
    });
  });

  it('breaks slot ties by entry id, in any order', async () => {
    const base: Entry = {
      id: 'a',
      ts: '2025-01-01T00:00:00Z',
      level: 'info',
      kind: 'slot.acquired',
    } as Entry;
    const a = {
      ...base,
      id: 'x.1',
      message: 'Using slot 1/4',
      stream: 'stdout',
      slots: { active: 1, total: 4 },
    };
    const b = { ...a, id: 'x.2', message: 'Using slot 2/4', slots: { active: 2, total: 4 } } as Entry;
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const one = await freshDb();
      for (const e of order) await applyEntries(one, [e as Entry]);
      expect((await one.get('node', 'node'))?.slots?.active).toBe(2);
      await deleteDb(one);
    }
    db = await freshDb();
  });

  it('counts and skips entries whose time is not a time', async () => {
    db = await freshDb();
    const [good] = sampleEntries();
    const r = await applyEntries(db, [good!, { ...good!, id: 'bad', ts: 'yesterday' }]);
    expect(r).toMatchObject({ entries: 1, invalid: 1 });
    expect(await getEntry(db, 'bad')).toBeUndefined();
  });

  it('keeps the latest status on the node, beside what entries say', async () => {
    db = await freshDb();
    await applyEntries(db, sampleEntries());
    await applyStatus(db, { source: 'docker', state: 'backfill' });
    await applyStatus(db, {
      source: 'docker',
      state: 'live',
      container: { name: 'runner-node', state: 'running' },
    });
    await applyEntries(db, sampleEntries());
    const node = await db.get('node', 'node');
    expect(node?.status?.state).toBe('live');
    expect(node?.runnerVersion).toBeDefined();
  });
});
