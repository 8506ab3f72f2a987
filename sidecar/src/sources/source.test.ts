import { describe, expect, it } from 'vitest';
import { batchFull, batchSize, MAX_BATCH_CHARS, MAX_BATCH_LINES, type SourceLine } from './source.ts';

const lines = (count: number, chars: number): SourceLine[] =>
  Array.from({ length: count }, (_, i) => ({ cursor: `c.${i}`, stream: 'stdout', text: 'x'.repeat(chars) }));

describe('batches', () => {
  it('are bounded in lines', () => {
    expect(batchSize(lines(1200, 10))).toBe(MAX_BATCH_LINES);
    expect(batchFull(lines(MAX_BATCH_LINES, 10))).toBe(true);
    expect(batchFull(lines(MAX_BATCH_LINES - 1, 10))).toBe(false);
  });

  it('are bounded in characters: 64 KiB lines come a few at a time', () => {
    const long = lines(100, 64 * 1024);
    expect(batchSize(long)).toBe(MAX_BATCH_CHARS / (64 * 1024));
    expect(batchFull(long.slice(0, 8))).toBe(true);
    expect(batchFull(long.slice(0, 7))).toBe(false);
  });

  it('always take at least one line', () => {
    expect(batchSize(lines(3, MAX_BATCH_CHARS * 2))).toBe(1);
    expect(batchSize([])).toBe(0);
  });
});
