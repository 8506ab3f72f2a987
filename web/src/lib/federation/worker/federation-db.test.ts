import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { putAll } from '../../../../../test/support/monitor-db.ts';
import { DAY_MS, FederationDb } from './federation-db.ts';

const now = Date.parse('2026-11-21T12:00:00Z');

describe('federation database', () => {
  it('prunes the sent log after 7 days and the feed after its retention', async () => {
    const fed = await FederationDb.open(`fed-${Math.random().toString(36).slice(2)}`);
    const feedTask = {
      window: '2026-11-21T10:00:00Z',
      chain: '1',
      kind: 'api',
      outcome: 'failed',
      duration: '<1s',
      steps: '<1M',
      memory: '<16MiB',
      cached: false,
    } as const;
    await putAll(fed.db, 'sent', [
      { atMs: now - 8 * DAY_MS, subject: 's', kind: 'heartbeat', json: 'old' },
      { atMs: now - DAY_MS, subject: 's', kind: 'heartbeat', json: 'new' },
    ]);
    await putAll(fed.db, 'feed', [
      { receivedMs: now - 3 * DAY_MS, window: feedTask.window, task: feedTask },
      { receivedMs: now - DAY_MS / 2, window: feedTask.window, task: feedTask },
    ]);
    await fed.prune(now, 2);
    expect((await fed.db.getAll('sent')).map((s) => s.json)).toEqual(['new']);
    expect(await fed.db.count('feed')).toBe(1);
  });

  it('closes itself when the database is deleted or upgraded elsewhere, and says which', async () => {
    const name = `fed-${Math.random().toString(36).slice(2)}`;
    const closes: boolean[] = [];
    await FederationDb.open(name, (deleted) => closes.push(deleted));
    const upgrade = indexedDB.open(name, 99);
    await new Promise((resolve) => (upgrade.onsuccess = resolve));
    upgrade.result.close();
    await FederationDb.open(`${name}-2`, (deleted) => closes.push(deleted));
    // Not blocked: the connection closed itself when asked.
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(`${name}-2`);
      request.onsuccess = resolve;
      request.onblocked = () => reject(new Error('blocked'));
    });
    expect(closes).toEqual([false, true]);
  });
});
