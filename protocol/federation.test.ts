import { describe, expect, it } from 'vitest';
import {
  FeedMessageSchema,
  HeartbeatMessageSchema,
  MAX_INGEST_BYTES,
  StatsMessageSchema,
  TaskMessageSchema,
  parseMessage,
  windowOf,
} from './federation.ts';

const task = {
  v: 1,
  key: '0123456789abcdef0123456789abcdef',
  window: '2026-11-21T10:35:00Z',
  chain: '137',
  kind: 'function',
  outcome: 'completed',
  duration: '1-5s',
  steps: '1M-10M',
  memory: '64-256MiB',
  cached: false,
  client: '0.1.0',
};
const heartbeat = {
  v: 1,
  node: 'fedcba9876543210fedcba9876543210',
  status: 'running',
  slots: '1',
  tasks24h: '10-99',
  version: '1.4',
  client: '0.1.0',
};

const parseTask = (value: unknown) =>
  parseMessage(TaskMessageSchema, JSON.stringify(value), MAX_INGEST_BYTES);

describe('federation messages', () => {
  it('accepts a well-formed task and heartbeat, with and without a region', () => {
    expect(parseTask(task)).toEqual({ ok: true, message: task });
    for (const hb of [heartbeat, { ...heartbeat, region: 'EU' }]) {
      expect(parseMessage(HeartbeatMessageSchema, JSON.stringify(hb), MAX_INGEST_BYTES).ok).toBe(true);
    }
  });

  it('rejects unknown keys, exact values and identifying strings', () => {
    const bad: [string, unknown][] = [
      ['extra key', { ...task, executionId: 'abc' }],
      ['exact duration', { ...task, duration: 1234 }],
      ['unlisted label', { ...task, steps: '523441' }],
      ['address as chain', { ...task, chain: '0x52908400098527886E0F7030069857D2E4169EE7' }],
      ['uppercase key', { ...task, key: task.key.toUpperCase() }],
      ['long key (a full hash)', { ...task, key: task.key + task.key }],
      ['exact time', { ...task, window: '2026-11-21T10:36:00Z' }],
      ['seconds in window', { ...task, window: '2026-11-21T10:35:07Z' }],
      ['wrong version', { ...task, v: 2 }],
      ['missing field', { ...task, cached: undefined }],
    ];
    for (const [what, value] of bad) expect([what, parseTask(value).ok]).toEqual([what, false]);
    expect(
      parseMessage(HeartbeatMessageSchema, JSON.stringify({ ...heartbeat, version: '1.4.2-beta.1' }), 1024)
        .ok,
    ).toBe(false);
    expect(
      parseMessage(HeartbeatMessageSchema, JSON.stringify({ ...heartbeat, region: 'Paris' }), 1024).ok,
    ).toBe(false);
  });

  it('says why: size before JSON before schema', () => {
    expect(parseMessage(TaskMessageSchema, 'x'.repeat(MAX_INGEST_BYTES + 1), MAX_INGEST_BYTES)).toMatchObject(
      {
        ok: false,
        reason: 'oversize',
      },
    );
    expect(parseMessage(TaskMessageSchema, '{"v":1,', MAX_INGEST_BYTES)).toMatchObject({
      ok: false,
      reason: 'json',
    });
    expect(parseTask({ ...task, kind: 'x' })).toMatchObject({
      ok: false,
      reason: 'schema',
      detail: /^kind: /,
    });
    expect(parseMessage(TaskMessageSchema, new TextEncoder().encode(JSON.stringify(task)), 1024).ok).toBe(
      true,
    );
  });

  it('floors times to UTC 5-minute windows', () => {
    expect(windowOf(Date.parse('2026-11-21T10:39:59.999Z'))).toBe('2026-11-21T10:35:00Z');
    expect(windowOf(Date.parse('2026-11-21T10:40:00Z'))).toBe('2026-11-21T10:40:00Z');
  });

  it('validates stats and feed, and bounds them', () => {
    const stats = {
      v: 1,
      at: '2026-11-21T10:40:10Z',
      activeNodes: 3,
      nodesToday: 5,
      tasks: { lastHour: 10, last24h: 100, last7d: 700 },
      outcomes: { completed: 90, failed: 10 },
      kinds: { function: 80, api: 20 },
      chains: { '137': 100 },
      duration: { '1-5s': 100 },
      steps: { '1M-10M': 80, unknown: 20 },
      memory: { '<16MiB': 100 },
      regions: { EU: 3, other: 2 },
      versions: { '1.4': 5 },
      hourly: [{ hour: '2026-11-21T10:00:00Z', completed: 9, failed: 1, nodes: 3 }],
    };
    expect(parseMessage(StatsMessageSchema, JSON.stringify(stats), 48 * 1024).ok).toBe(true);
    const manyChains = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), 1]));
    expect(
      parseMessage(StatsMessageSchema, JSON.stringify({ ...stats, chains: manyChains }), 48 * 1024).ok,
    ).toBe(false);
    const { key: _key, client: _client, v: _v, ...feedTask } = task;
    const feed = { v: 1, window: task.window, tasks: [feedTask], more: 0 };
    expect(parseMessage(FeedMessageSchema, JSON.stringify(feed), 48 * 1024).ok).toBe(true);
    expect(parseMessage(FeedMessageSchema, JSON.stringify({ ...feed, tasks: [task] }), 48 * 1024).ok).toBe(
      false,
    );
  });
});
