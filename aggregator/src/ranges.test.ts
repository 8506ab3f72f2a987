import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RUNS, addSeqs, hasSeq } from './ranges.ts';

describe('sequence runs', () => {
  it('merges contiguous sequences into runs and drops those at or below the floor', () => {
    expect(addSeqs([], [5, 3, 4, 9, 10], 0)).toEqual([
      [3, 5],
      [9, 10],
    ]);
    expect(addSeqs([[3, 5]], [6, 11], 4)).toEqual([
      [5, 6],
      [11, 11],
    ]);
    expect(addSeqs([[1, 2]], [], 10)).toEqual([]);
  });

  it('holds exactly the added sequences above the floor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 30 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 200 }),
        (batches, floor) => {
          let runs = addSeqs([], [], 0);
          for (const batch of batches) runs = addSeqs(runs, batch, floor);
          const added = new Set(batches.flat().filter((s) => s > floor));
          for (let s = 0; s <= 201; s++) expect(hasSeq(runs, s)).toBe(added.has(s));
          for (let i = 1; i < runs.length; i++) expect(runs[i]![0]).toBeGreaterThan(runs[i - 1]![1] + 1);
        },
      ),
    );
  });
});

describe('the bound on runs', () => {
  it('keeps the newest MAX_RUNS runs', () => {
    const seqs = Array.from({ length: MAX_RUNS + 10 }, (_, i) => i * 2 + 1);
    const runs = addSeqs([], seqs, 0);
    expect(runs).toHaveLength(MAX_RUNS);
    expect(runs.at(-1)).toEqual([seqs.at(-1), seqs.at(-1)]);
    expect(hasSeq(runs, 1)).toBe(false);
  });
});
