import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { TaskMessageSchema } from '../../../../../protocol/federation.ts';
import { keyWeekStart, type TokenKind } from '../../../../../protocol/private-token.ts';
import { freshDb, putAll } from '../../../../../test/support/monitor-db.ts';
import { mintKey, mintToken, type MintKey } from '../../../../../test/support/token-mint.ts';
import * as v from 'valibot';
import { DAY_MS, FederationDb, type TokenRecord } from './federation-db.ts';
import { HOUR_MS } from '../../db/up-hours.ts';
import { Identity, newSecret } from './identity.ts';
import { Outbox } from './outbox.ts';
import {
  MAX_TASK_BATCHES,
  TASK_BATCH,
  nextRound,
  PRESENCE_BATCH,
  presenceWanted,
  putOff,
  quarantineMs,
  taskBatches,
  tasksWanted,
} from './token-schedule.ts';
import { TokenStock, usable } from './tokens.ts';

const now = Date.parse('2026-11-25T12:00:00Z');
const week = keyWeekStart(now);
const keys = new Map<string, MintKey>();
/** One key per kind and week, made once. */
function keyOf(kind: TokenKind, weekMs: number): MintKey {
  const name = `${kind}-${weekMs}`;
  if (!keys.has(name)) keys.set(name, mintKey(kind, weekMs));
  return keys.get(name)!;
}
function tokens(kind: TokenKind, count: number, weekMs = week): Omit<TokenRecord, 'id'>[] {
  const key = keyOf(kind, weekMs);
  return Array.from({ length: count }, () => ({
    kind,
    token: mintToken(key),
    keyId: key.tokenKeyId.toString('hex'),
    notBeforeMs: weekMs,
    fetchedMs: weekMs,
  }));
}
const freshFed = () => FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);

describe('token stock', () => {
  it('uses a token from its key week until a day before the key stops being accepted', () => {
    const token = { notBeforeMs: week };
    expect(usable(token, week - 1)).toBe(false);
    expect(usable(token, week)).toBe(true);
    // Accepted 7 + 8 days from the week's start; used until a day before that.
    expect(usable(token, week + 14 * DAY_MS - 1)).toBe(true);
    expect(usable(token, week + 14 * DAY_MS)).toBe(false);
  });

  it('counts usable tokens by kind and prunes the rest', async () => {
    const stock = new TokenStock(await freshFed());
    await stock.add([
      ...tokens('task', 3),
      ...tokens('presence', 2),
      ...tokens('task', 2, week - 14 * DAY_MS),
    ]);
    expect(await stock.counts(now)).toEqual({ presence: 2, task: 3 });
    await stock.prune(now);
    expect(await stock.counts(now - 10 * DAY_MS)).toEqual({ presence: 0, task: 0 });
  });

  it("gives a pseudonym's day one presence token, the same each time, a new one for another day", async () => {
    const stock = new TokenStock(await freshFed());
    await stock.add(tokens('presence', 2));
    const day = Date.parse('2026-11-25T00:00:00Z');
    // Any moment of the day stands for it (a heartbeat's, an activity report's hour).
    const first = await stock.presenceFor('node-a', day + 9 * HOUR_MS, now);
    expect(first).toBeDefined();
    expect(await stock.presenceFor('node-a', day + 23 * HOUR_MS, now + HOUR_MS)).toEqual(first);
    const yesterday = await stock.presenceFor('node-b', day - HOUR_MS, now);
    expect(yesterday?.token).not.toBe(first?.token);
    // The stock is empty now: another day gets none, the days that have one keep it.
    expect(await stock.presenceFor('node-c', day + DAY_MS, now)).toBeUndefined();
    expect(await stock.presenceFor('node-a', day, now)).toEqual(first);
    expect(await stock.presenceFor('node-b', day - DAY_MS, now)).toEqual(yesterday);
    expect(await stock.counts(now)).toEqual({ presence: 0, task: 0 });
  });

  it("replaces a day's presence token once its key is no longer usable", async () => {
    const stock = new TokenStock(await freshFed());
    const day = Date.parse('2026-11-25T00:00:00Z');
    await stock.add(tokens('presence', 1, week - 7 * DAY_MS));
    const old = await stock.presenceFor('node', day, now);
    await stock.add(tokens('presence', 1, week));
    const later = now + 6 * DAY_MS;
    const fresh = await stock.presenceFor('node', day, later);
    expect(fresh?.notBeforeMs).toBe(week);
    expect(fresh?.token).not.toBe(old?.token);
  });

  it('takes the newest key first, a token only after its quarantine, and forgets everything when cleared', async () => {
    const fed = await freshFed();
    const stock = new TokenStock(fed);
    await stock.add([...tokens('presence', 1, week - 7 * DAY_MS), ...tokens('presence', 1, week)]);
    // Every node spends the current week's key, whatever older tokens it still holds.
    expect((await stock.presenceFor('node', week, now))?.notBeforeMs).toBe(week);
    await stock.add(tokens('presence', 1).map((t) => ({ ...t, usableFromMs: now + 60_000 })));
    expect((await stock.presenceFor('node-2', week, now))?.notBeforeMs).toBe(week - 7 * DAY_MS);
    expect(await stock.presenceFor('node-3', week, now)).toBeUndefined();
    expect(await stock.presenceFor('node-3', week, now + 60_000)).toBeDefined();
    // In the first day of a key week the older key goes first: every node switches a day into the week.
    await stock.add([...tokens('presence', 1, week - 7 * DAY_MS), ...tokens('presence', 1, week)]);
    expect((await stock.presenceFor('node-4', week, week + 3600_000))?.notBeforeMs).toBe(week - 7 * DAY_MS);
    expect((await stock.presenceFor('node-5', week, week + 3600_000))?.notBeforeMs).toBe(week);
    await stock.clear();
    expect(await fed.db.count('tokens')).toBe(0);
    expect(await fed.get('presenceTokens')).toBeUndefined();
  });
});

describe('outbox rows with tokens', () => {
  async function queued(count: number) {
    const main = await freshDb();
    const fed = await freshFed();
    const outbox = new Outbox(fed, main, (finishedMs) => finishedMs);
    await outbox.load();
    await putAll(
      main,
      'tasks',
      Array.from({ length: count }, (_, i) => ({
        executionId: `exec-${i}`,
        status: 'completed' as const,
        firstSeenMs: now - 60_000,
        finishedMs: now - 30_000 + i,
        chainId: '1',
      })),
    );
    await outbox.scan(await Identity.from(newSecret()), [{ fromMs: now - DAY_MS, toMs: null }], now);
    return { fed, outbox, stock: new TokenStock(fed) };
  }

  it('gives each row a token of its own and keeps it for a re-send; rows without one wait', async () => {
    const { fed, outbox, stock } = await queued(3);
    await stock.add(tokens('task', 2));
    const ready = await outbox.withTokens(await outbox.due(now, 10), now);
    expect(ready).toHaveLength(2);
    const sent = ready.map((r) => v.parse(TaskMessageSchema, JSON.parse(r.json!)).token);
    expect(new Set(sent).size).toBe(2);
    expect(await stock.counts(now)).toEqual({ presence: 0, task: 0 });
    // Not marked sent (the connection failed): the same rows carry the same tokens again.
    const again = await outbox.withTokens(await outbox.due(now, 10), now);
    expect(again.map((r) => r.json).sort()).toEqual(ready.map((r) => r.json).sort());
    // The sent log holds each message as it left, token included.
    await outbox.markSent(again, 'truebit.v1.task', now);
    expect((await fed.db.getAll('sent')).map((s) => s.json).sort()).toEqual(ready.map((r) => r.json).sort());
    expect(await outbox.countPending()).toBe(1);
  });

  it('gives a row a new token when its own would no longer be accepted by the time it arrives', async () => {
    const { outbox, stock } = await queued(1);
    await stock.add(tokens('task', 1, week - 7 * DAY_MS));
    const [first] = await outbox.withTokens(await outbox.due(now, 10), now);
    await stock.add(tokens('task', 1, week));
    expect(first!.token!.notBeforeMs).toBe(week - 7 * DAY_MS);
    const [later] = await outbox.withTokens(await outbox.due(now, 10), now + 6 * DAY_MS);
    expect(later!.token!.notBeforeMs).toBe(week);
    expect(later!.json).not.toBe(first!.json);
  });

  it("forgets pending rows' tokens under another issuer, and gives them new ones", async () => {
    const { fed, outbox, stock } = await queued(1);
    await stock.add(tokens('task', 1));
    const [before] = await outbox.withTokens(await outbox.due(now, 10), now);
    await outbox.dropTokens();
    const [dropped] = await fed.db.getAll('outbox');
    expect(dropped!.token).toBeUndefined();
    expect(dropped!.json).not.toContain('"token"');
    await stock.add(tokens('task', 1));
    const [after] = await outbox.withTokens(await outbox.due(now, 10), now);
    expect(after!.token!.token).not.toBe(before!.token!.token);
  });

  it("keeps a row's token dropped when the server's refusal of it is noted after the drop", async () => {
    const { fed, outbox, stock } = await queued(1);
    await stock.add(tokens('task', 1));
    const sending = await outbox.withTokens(await outbox.due(now, 10), now);
    // Another issuer is set while the rows are out; the server refuses them.
    await outbox.dropTokens();
    await outbox.markRefused(sending, 'truebit.v1.task', 'Permissions Violation', now);
    const [row] = await fed.db.getAll('outbox');
    expect(row).toMatchObject({ state: 'pending', refusedBy: 'Permissions Violation' });
    expect(row!.token).toBeUndefined();
    expect(row!.json).not.toContain('"token"');
  });

  it('leaves out a row a new identity dropped meanwhile, and gives a row only one token', async () => {
    const { outbox, stock } = await queued(2);
    await stock.add(tokens('task', 3));
    const rows = await outbox.due(now, 10);
    // Two leaders at once: one token a row.
    const [a, b] = await Promise.all([outbox.withTokens(rows, now), outbox.withTokens(rows, now)]);
    expect(b!.map((r) => r.json).sort()).toEqual(a!.map((r) => r.json).sort());
    expect(await stock.counts(now)).toEqual({ presence: 0, task: 1 });
    await outbox.dropPending();
    expect(await outbox.withTokens(rows, now)).toEqual([]);
    expect(await stock.counts(now)).toEqual({ presence: 0, task: 1 });
  });
});

/**
 * A node finishing `perDay` tasks a day at a steady pace for `days` days, its token rounds at the app's random
 * moments, what each fetches by the app's rule, each token after its quarantine: the tasks that had to wait for a
 * token after the first two days (the stock's warm-up).
 */
function waitingTasks(perDay: number, days: number, random: () => number): number {
  const start = Date.parse('2026-01-05T00:00:00Z');
  const stock: { notBeforeMs: number; fromMs: number }[] = [];
  const finished: number[] = [];
  let waiting = 0;
  let waited = 0;
  let round = start;
  for (let t = start; t < start + days * DAY_MS; t += DAY_MS / perDay) {
    while (round <= t) {
      const wanted = tasksWanted(waiting, finished.filter((f) => f >= round - DAY_MS).length);
      // As the app counts its stock: the tokens still usable two periods on.
      const lasting = stock.filter((token) => usable(token, round + 2 * DAY_MS)).length;
      const fetched = taskBatches(wanted, lasting) * TASK_BATCH;
      for (let i = 0; i < fetched; i++)
        stock.push({ notBeforeMs: keyWeekStart(round), fromMs: round + quarantineMs(DAY_MS, false, random) });
      round = nextRound(round, DAY_MS, random);
    }
    finished.push(t);
    waiting++;
    for (let i = stock.length - 1; i >= 0 && waiting; i--) {
      const token = stock[i]!;
      if (!usable(token, t)) stock.splice(i, 1);
      else if (token.fromMs <= t) {
        stock.splice(i, 1);
        waiting--;
      }
    }
    if (waiting && t >= start + 2 * DAY_MS) waited++;
  }
  return waited;
}

describe('token schedule', () => {
  it('keeps a steady node stocked: no task waits for a token once the stock is built', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const perDay of [20, 100, 199, 200, 400, 600])
      expect({ perDay, waited: waitingTasks(perDay, 90, random) }).toEqual({ perDay, waited: 0 });
  });

  it('puts an overdue round off to a random moment of the coming period, but not the first under an issuer', () => {
    const overdue = { issuer: 'x', nextMs: now - 1000, presenceWeekMs: week };
    expect(putOff(overdue, now, DAY_MS, () => 0.5)).toEqual({ ...overdue, nextMs: now + DAY_MS / 2 });
    expect(putOff({ ...overdue, nextMs: now + 5 }, now, DAY_MS, () => 0.5).nextMs).toBe(now + 5);
    expect(putOff({ ...overdue, presenceWeekMs: null }, now, DAY_MS, () => 0.5).nextMs).toBe(now - 1000);
  });

  it('fetches at a random moment of the next period', () => {
    const period = DAY_MS;
    const day = Date.parse('2026-11-25T00:00:00Z');
    expect(nextRound(now, period, () => 0)).toBe(day + DAY_MS);
    expect(nextRound(now, period, () => 0.5)).toBe(day + 1.5 * DAY_MS);
  });

  it("fetches presence tokens in each key week's first round, task tokens in batches for a day's tasks", () => {
    const state = { issuer: 'x', nextMs: 0, presenceWeekMs: null };
    expect(presenceWanted(state, now)).toBe(PRESENCE_BATCH);
    expect(presenceWanted({ ...state, presenceWeekMs: week }, now)).toBe(0);
    // A round cut short: the rest of the week's.
    expect(presenceWanted({ ...state, presenceWeekMs: week, presenceGot: 3 }, now)).toBe(PRESENCE_BATCH - 3);
    expect(presenceWanted({ ...state, presenceWeekMs: week }, now + 7 * DAY_MS)).toBe(PRESENCE_BATCH);
    expect(taskBatches(0, 0)).toBe(0);
    expect(taskBatches(150, 100)).toBe(1);
    expect(taskBatches(150, 150)).toBe(0);
    expect(taskBatches(TASK_BATCH * 100, 0)).toBe(MAX_TASK_BATCHES);
  });
});
