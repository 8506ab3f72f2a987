import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../db/schema.ts';
import { freshDb, putAll } from '../../../../../test/support/monitor-db.ts';
import { Identity, newSecret } from './identity.ts';
import { Outbox } from './outbox.ts';
import { DAY_MS, FederationDb, KEEP_MS, type Period } from './federation-db.ts';

const now = Date.parse('2026-11-21T12:00:00Z');
const task = (id: string, finishedMs: number, chainId = '1'): TaskRecord => ({
  executionId: id,
  status: 'completed',
  firstSeenMs: finishedMs - 1000,
  finishedMs,
  chainId,
});

async function setup(release = (finishedMs: number) => finishedMs) {
  const main = await freshDb();
  const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
  const outbox = new Outbox(fed, main, release);
  await outbox.load();
  return { main, fed, outbox, identity: await Identity.from(newSecret()) };
}

describe('outbox', () => {
  it('queues only tasks finished in a sharing period and at most 7 days back, each once', async () => {
    const { main, fed, outbox, identity } = await setup();
    const periods: Period[] = [
      { fromMs: now - 9 * DAY_MS, toMs: now - 2 * DAY_MS },
      { fromMs: now - DAY_MS, toMs: null },
    ];
    await putAll(main, 'tasks', [
      task('too-old', now - 8 * DAY_MS), // in a period, but more than 7 days back
      task('shared-1', now - 3 * DAY_MS),
      task('while-off', now - 1.5 * DAY_MS), // between the periods: federation was off
      task('shared-2', now - 60_000),
      task('no-chain', now - 30_000, 'mainnet'),
      { ...task('running', now), status: 'running', finishedMs: undefined } as TaskRecord,
    ]);
    const first = await outbox.scan(identity, periods, now);
    expect(first.queued).toBe(2);
    expect(first.refused.map((r) => r.executionId)).toEqual(['no-chain']);
    expect((await outbox.due(now, 10)).map((r) => r.executionId)).toEqual(['shared-1', 'shared-2']);
    // Scanning again, or after a restart, queues nothing twice.
    expect((await outbox.scan(identity, periods, now)).queued).toBe(0);
    const again = new Outbox(fed, main, (finishedMs) => finishedMs);
    await again.load();
    expect((await again.scan(identity, periods, now)).queued).toBe(0);
    // Sent rows leave the pending list and enter the sent log as they were.
    const rows = await outbox.due(now, 1);
    await outbox.markSent(rows, 'truebit.v1.task', now);
    expect(await outbox.countPending()).toBe(1);
    expect((await fed.db.getAll('sent')).map((s) => s.json)).toEqual([rows[0]!.json]);
  });

  it('queues what a new period reaches back over, and never a task it sent already', async () => {
    const { main, outbox, identity } = await setup();
    await putAll(main, 'tasks', [task('while-off', now - 2 * DAY_MS), task('shared', now - DAY_MS / 2)]);
    // On, off, on again from then on only: 'while-off' finished between the periods.
    const before: Period[] = [
      { fromMs: now - 3 * DAY_MS, toMs: now - 2.5 * DAY_MS },
      { fromMs: now - DAY_MS, toMs: null },
    ];
    expect((await outbox.scan(identity, before, now)).queued).toBe(1);
    await outbox.markSent(await outbox.due(Infinity, 10), 'truebit.v1.task', now);
    // Off, and on again with the last 7 days.
    const after: Period[] = [
      { fromMs: now - 3 * DAY_MS, toMs: now - 2.5 * DAY_MS },
      { fromMs: now - DAY_MS, toMs: now - 1000 },
      { fromMs: now - KEEP_MS, toMs: null },
    ];
    expect((await outbox.scan(identity, after, now)).queued).toBe(1);
    expect((await outbox.due(Infinity, 10)).map((r) => r.executionId)).toEqual(['while-off']);
  });

  it('anonymizes waiting tasks again under a new identity, and never queues again a task it sent', async () => {
    const { main, fed, outbox, identity } = await setup();
    await putAll(main, 'tasks', [task('sent', now - 2000), task('waiting', now)]);
    const periods = [{ fromMs: now - 10_000, toMs: null }];
    await outbox.scan(identity, periods, now);
    await outbox.markSent(await outbox.due(Infinity, 1), 'truebit.v1.task', now);
    const sent = (await fed.db.get('outbox', 'sent'))!.json;
    const waiting = (await outbox.due(Infinity, 1))[0]!.json;

    await outbox.dropPending();
    expect((await outbox.scan(await Identity.from(newSecret()), periods, now)).queued).toBe(1);
    const [again] = await outbox.due(Infinity, 10);
    expect(again!.executionId).toBe('waiting');
    expect(again!.json).not.toBe(waiting);
    expect(await fed.db.get('outbox', 'sent')).toMatchObject({ state: 'sent', json: sent });
  });

  it('keeps nothing a scan anonymized under the identity a new one replaced while it ran', async () => {
    const { main, outbox, identity } = await setup();
    await putAll(main, 'tasks', [task('a', now), task('b', now)]);
    const periods = [{ fromMs: now - 1000, toMs: null }];
    const scan = outbox.scan(identity, periods, now);
    await outbox.dropPending();
    expect((await scan).queued).toBe(0);
    expect(await outbox.countPending()).toBe(0);
    const next = await Identity.from(newSecret());
    expect((await outbox.scan(next, periods, now)).queued).toBe(2);
    expect((await outbox.due(Infinity, 1))[0]!.json).toContain(await next.taskKey('a'));
  });

  it('does not queue again a task whose old row was sent while a new identity dropped it', async () => {
    const { main, outbox, identity } = await setup();
    await main.put('tasks', task('a', now));
    const periods = [{ fromMs: now - 1000, toMs: null }];
    await outbox.scan(identity, periods, now);
    const publishing = await outbox.due(Infinity, 10);
    await outbox.dropPending();
    await outbox.markSent(publishing, 'truebit.v1.task', now);
    expect((await outbox.scan(await Identity.from(newSecret()), periods, now)).queued).toBe(0);
    expect(await outbox.countPending()).toBe(0);
  });

  it('gives a task out only once its release time came', async () => {
    const { main, outbox, identity } = await setup((finishedMs) => finishedMs + 60_000);
    await putAll(main, 'tasks', [task('later', now - 30_000), task('now', now - 90_000)]);
    await outbox.scan(identity, [{ fromMs: now - DAY_MS, toMs: null }], now);
    expect((await outbox.due(now, 10)).map((r) => r.executionId)).toEqual(['now']);
    expect((await outbox.due(now + 30_000, 10)).map((r) => r.executionId)).toEqual(['now', 'later']);
    expect(await outbox.countPending()).toBe(2);
  });

  it('logs the server refusing a row once, keeps it waiting, and logs it sent when it goes', async () => {
    const { main, fed, outbox, identity } = await setup();
    await putAll(main, 'tasks', [task('a', now - 1000), task('b', now - 2000)]);
    await outbox.scan(identity, [{ fromMs: now - DAY_MS, toMs: null }], now);
    for (let attempt = 0; attempt < 3; attempt++)
      await outbox.markRefused(await outbox.due(now, 10), 'truebit.v1.task', 'Permissions Violation', now);
    const refused = await fed.db.getAll('sent');
    expect(refused.map((s) => s.refused)).toEqual(['Permissions Violation', 'Permissions Violation']);
    expect(await outbox.countPending()).toBe(2);
    await outbox.markSent(await outbox.due(now, 10), 'truebit.v1.task', now);
    expect(await outbox.countPending()).toBe(0);
    expect((await fed.db.getAll('sent')).filter((s) => s.refused === undefined)).toHaveLength(2);
  });
});
