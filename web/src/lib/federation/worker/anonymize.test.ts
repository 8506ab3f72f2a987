import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  ActivityMessageSchema,
  HeartbeatMessageSchema,
  TaskMessageSchema,
} from '../../../../../protocol/federation.ts';
import type { NodeRecord, TaskRecord } from '../../db/schema.ts';
import { activityMessage, chainOf, heartbeatMessage, nodeStatus, taskMessage } from './anonymize.ts';
import { Identity, newSecret } from './identity.ts';

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
const base58 = fc.string({
  unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'),
  minLength: 32,
  maxLength: 60,
});
/** Everything the federation must never carry. */
const sensitive = fc.oneof(
  hex(40).map((h) => `0x${h}`), // address
  hex(64).map((h) => `0x${h}`), // private key, block hash
  hex(64), // hash without prefix
  base58.map((s) => `Qm${s}`), // content id, base58 key
  fc.uuid(),
  fc.ipV4(),
  fc.ipV6(),
  fc.emailAddress(),
  fc.bigInt({ min: 100_000n, max: 10n ** 30n }).map(String), // long number
);
const bigNumber = fc.integer({ min: 100_000, max: Number.MAX_SAFE_INTEGER });
const anyNumber = fc.oneof(bigNumber, fc.double({ min: 0, max: 1e12, noNaN: true }));
const nowMs = Date.parse('2026-11-21T12:00:00Z');
const time = fc.integer({ min: nowMs - 7 * 86_400_000, max: nowMs });

const taskArb: fc.Arbitrary<TaskRecord> = fc.record(
  {
    executionId: sensitive,
    status: fc.constantFrom('completed', 'failed'),
    firstSeenMs: time,
    receivedMs: time,
    startedMs: time,
    finishedMs: time,
    taskId: sensitive,
    chainId: fc.oneof(fc.integer({ min: 1, max: 99_999_999 }).map(String), sensitive),
    blockNumber: bigNumber,
    kind: fc.constantFrom('function', 'api'),
    path: sensitive,
    metrics: fc.record(
      {
        elapsedMs: anyNumber,
        exitCode: fc.integer(),
        steps: bigNumber,
        gasLimit: bigNumber,
        memoryPeak: bigNumber,
        memoryLimit: bigNumber,
        wasmSize: bigNumber,
        wasmHash: sensitive,
        cached: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    steps: bigNumber,
    elapsedMs: anyNumber,
    invoiceId: sensitive,
    finishedBy: sensitive,
  },
  { requiredKeys: ['executionId', 'status', 'firstSeenMs', 'finishedMs', 'chainId'] },
) as fc.Arbitrary<TaskRecord>;

/** Every value of a record as text (strings and numbers), recursively. */
function values(record: unknown, out: string[] = []): string[] {
  if (typeof record === 'string') out.push(record);
  else if (typeof record === 'number') out.push(String(record));
  else if (typeof record === 'object' && record !== null)
    for (const x of Object.values(record)) values(x, out);
  return out;
}

/** `json` holds none of the record's values of 5 characters or more, in any case. */
function expectNoneOf(record: unknown, json: string): void {
  const text = json.toLowerCase();
  for (const value of values(record)) if (value.length >= 5) expect(text).not.toContain(value.toLowerCase());
}

describe('anonymize (property)', () => {
  it('publishes only valid messages that hold none of the task values but the chain id', async () => {
    const identity = await Identity.from(newSecret());
    let published = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(taskArb, async (task) => {
        runs++;
        const result = await taskMessage(task, identity);
        if (!result.ok) return;
        published++;
        expect(v.is(TaskMessageSchema, JSON.parse(result.json))).toBe(true);
        const { chain, ...rest } = result.message;
        expect(chain).toBe(chainOf(task.chainId));
        // status and kind are enums the message may repeat (outcome, kind); every other value is off limits.
        const { status: _status, kind: _kind, ...identifying } = task;
        expectNoneOf(identifying, JSON.stringify(rest));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: most tasks (all with a decimal chain id) are published.
    expect(published).toBeGreaterThan(runs * 0.3);
  });

  it('builds heartbeats from a node record full of identifiers without carrying any', async () => {
    const identity = await Identity.from(newSecret());
    const nodeArb = fc.record({
      key: fc.constant('node' as const),
      address: sensitive,
      runnerVersion: fc.oneof(fc.constant('1.4.2'), sensitive),
      lastEntryMs: time,
      slots: fc.record({
        active: fc.integer({ min: 0, max: 64 }),
        total: bigNumber,
        atMs: time,
        entryId: sensitive,
      }),
    });
    await fc.assert(
      fc.asyncProperty(nodeArb, fc.integer({ min: 0, max: 100_000 }), async (node, tasks24h) => {
        const result = await heartbeatMessage({ node, tasks24h, region: undefined, nowMs }, identity);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(v.is(HeartbeatMessageSchema, result.message)).toBe(true);
        expectNoneOf(node, result.json);
      }),
      { numRuns: 1000 },
    );
  });

  it('builds activity reports from a node record full of identifiers without carrying any', async () => {
    const identity = await Identity.from(newSecret());
    const nodeArb = fc.record({
      key: fc.constant('node' as const),
      address: sensitive,
      runnerVersion: fc.oneof(fc.constant('2.0.4'), sensitive),
      lastEntryMs: time,
    });
    await fc.assert(
      fc.asyncProperty(nodeArb, time, async (node, ms) => {
        const hourMs = Math.floor(ms / 3_600_000) * 3_600_000;
        const result = await activityMessage({ node, region: 'EU', hourMs }, identity);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(v.is(ActivityMessageSchema, result.message)).toBe(true);
        expect(Object.keys(result.message).sort()).toEqual([
          'client',
          'hour',
          'node',
          'region',
          'v',
          'version',
        ]);
        expectNoneOf(node, result.json);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('anonymize', () => {
  const identity = Identity.from(newSecret());
  const task: TaskRecord = {
    executionId: 'e1',
    status: 'completed',
    firstSeenMs: nowMs - 5000,
    finishedMs: Date.parse('2026-11-21T10:38:59Z'),
    chainId: '0x89',
    kind: 'function',
    metrics: { elapsedMs: 1000, memoryPeak: 64 * 1024 * 1024, cached: true },
    steps: 999_999,
  };

  it('writes buckets, the window and the chain, and nothing exact', async () => {
    const result = await taskMessage(task, await identity);
    expect(result.ok && result.message).toMatchObject({
      window: '2026-11-21T10:35:00Z',
      chain: '137',
      kind: 'function',
      outcome: 'completed',
      duration: '1-5s',
      steps: '<1M',
      memory: '64-256MiB',
      cached: true,
    });
  });

  it('refuses unfinished tasks and tasks without a chain id', async () => {
    expect(await taskMessage({ ...task, status: 'running' }, await identity)).toEqual({
      ok: false,
      reason: 'not finished',
    });
    expect((await taskMessage({ ...task, chainId: 'mainnet' }, await identity)).ok).toBe(false);
  });

  it('says how the runner container is', () => {
    const status = (state: string) => ({
      source: 'docker' as const,
      state: 'live' as const,
      container: { name: 'r', state },
    });
    expect(nodeStatus(status('running'), undefined, nowMs)).toBe('running');
    expect(nodeStatus(status('exited'), undefined, nowMs)).toBe('stopped');
    expect(nodeStatus(undefined, nowMs - 1000, nowMs)).toBe('running');
    expect(nodeStatus(undefined, nowMs - 3_600_000, nowMs)).toBe('unknown');
  });

  it('adds the region only when chosen, and cuts the runner version to major.minor', async () => {
    const node: NodeRecord = { key: 'node', runnerVersion: '2.10.7' };
    const plain = await heartbeatMessage({ node, tasks24h: 12, region: undefined, nowMs }, await identity);
    expect(plain.ok && plain.message).toMatchObject({ version: '2.10', tasks24h: '10-99', slots: 'unknown' });
    expect(plain.ok && 'region' in plain.message).toBe(false);
    const eu = await heartbeatMessage({ node, tasks24h: 0, region: 'EU', nowMs }, await identity);
    expect(eu.ok && eu.message.region).toBe('EU');
  });
});
