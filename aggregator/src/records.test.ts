// What the aggregator writes, it reads back whole: every field of a rollup (the chain sketch, feed priorities)
// and of a node record (first heard) passes records.ts unchanged, and what does not fit is refused.
import type { KvEntry } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { task } from '../../test/support/federation-traffic.ts';
import { feedPriority, addTask, emptyRollup, rollupKey } from './rollup.ts';
import { decodeNodeRecord, decodeRollup } from './records.ts';
import { nodeKey } from './nodes.ts';

const entry = (key: string, value: unknown) =>
  ({ key, json: () => (typeof value === 'string' ? JSON.parse(value) : value) }) as unknown as KvEntry;

describe('bucket records', () => {
  it('read back a rollup as written: counts, chain sketch, feed with priorities, applied runs', () => {
    const rollup = emptyRollup();
    const priority = feedPriority('secret');
    for (let i = 0; i < 300; i++) {
      const t = task(i, { chain: String(100 + (i % 40)) });
      addTask(rollup, t, priority(t.key));
    }
    rollup.applied = [[1, 300]];
    expect(rollup.sketch?.length).toBeGreaterThan(31);
    const window = task(0).window;
    expect(decodeRollup(entry(rollupKey(window), JSON.stringify(rollup)))).toEqual(rollup);
  });

  it('read back a node record with when it was first heard, within its day', () => {
    const day = Date.UTC(2026, 11, 6);
    const key = nodeKey(day, '0123456789abcdef0123456789abcdef');
    const record = { l: day + 60_000, f: day + 1000, h: 1, v: '2.0' };
    expect(decodeNodeRecord(entry(key, record))).toEqual(record);
    expect(decodeNodeRecord(entry(key, { ...record, f: day - 1 }))).toBeUndefined();
    expect(decodeNodeRecord(entry(key, { ...record, f: record.l + 1 }))).toBeUndefined();
    // Only activity reports counted: hours and version, no monitor heard; never a first time without a last.
    const reported = { h: 0b110, v: '2.0', r: 'EU' };
    expect(decodeNodeRecord(entry(key, reported))).toEqual(reported);
    expect(decodeNodeRecord(entry(key, { ...reported, f: day + 1 }))).toBeUndefined();
  });

  it('refuse a feed priority or a sketch that is not theirs', () => {
    const rollup = emptyRollup();
    const t = task(1);
    addTask(rollup, t, 5);
    const key = rollupKey(t.window);
    expect(
      decodeRollup(entry(key, { ...rollup, feed: [[...rollup.feed[0]!.slice(0, 7), -1]] })),
    ).toBeUndefined();
    expect(decodeRollup(entry(key, { ...rollup, sketch: [['137', 1, 2]] }))).toBeUndefined();
  });
});
