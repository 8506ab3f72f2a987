import { describe, expect, it } from 'vitest';
import { RecencyMap } from './recency.ts';

describe('a bounded recency map', () => {
  it('never refuses a key: a new key in a full map evicts the least recently set', () => {
    const map = new RecencyMap<number>(3);
    for (const key of ['a', 'b', 'c']) map.set(key, 1);
    map.set('a', 2); // a is now the most recent
    map.set('d', 1);
    expect([...map.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(map.get('a')).toBe(2);
    expect(map.evicted).toBe(1);
    map.delete('c');
    map.set('e', 1); // room left by the deletion: nothing evicted
    expect(map.size).toBe(3);
    expect(map.evicted).toBe(1);
  });

  it('evicts kept keys only when no other key is left', () => {
    // value > 1: heard more than once
    const map = new RecencyMap<number>(100, (heard) => heard > 1);
    for (let i = 0; i < 10; i++) map.set(`honest${i}`, 2);
    for (let i = 0; i < 100_000; i++) map.set(`forged${i}`, 1);
    expect(map.size).toBe(100);
    expect(map.keptSize).toBe(10);
    for (let i = 0; i < 10; i++) expect(map.has(`honest${i}`)).toBe(true);
    // the newest forged keys fill the rest
    expect(map.has('forged99999')).toBe(true);
    expect(map.has('forged99909')).toBe(false);
    // a key heard once then again moves to the kept segment
    map.set('forged99999', 2);
    expect(map.keptSize).toBe(11);
    // with only kept keys, the least recent of them goes
    const kept = new RecencyMap<number>(2, () => true);
    kept.set('x', 1);
    kept.set('y', 1);
    kept.set('x', 2);
    kept.set('z', 1);
    expect([...kept.keys()].sort()).toEqual(['x', 'z']);
  });

  // A map that deleted its head by a fresh iterator each time took over a minute for this (O(n) per eviction);
  // this takes a few seconds.
  it('takes a flood five times its bound', { timeout: 60_000 }, () => {
    const map = new RecencyMap<number>(200_000);
    for (let i = 0; i < 1_000_000; i++) map.set(`k${i}`, i);
    expect(map.size).toBe(200_000);
    expect(map.evicted).toBe(800_000);
    expect([...map].at(0)).toEqual(['k800000', 800_000]);
  });
});
