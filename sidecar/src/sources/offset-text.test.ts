import { describe, expect, it } from 'vitest';
import { OffsetText } from './offset-text.ts';

const plain = (prefix: string, offset: number) => prefix + String(offset).padStart(15, '0');

describe('OffsetText', () => {
  it('formats offsets in order, out of order and across every boundary of its cached digits as padStart does', () => {
    const text = new OffsetText('o.');
    const offsets = [
      0,
      1,
      9,
      10,
      9_999,
      10_000,
      10_001,
      19_999,
      20_000,
      123_456_789,
      5,
      99_999_999_999_999,
      100_000_000_000_000,
      999_999_999_999_999,
      1_000_000_000_000_000,
      2 ** 53 - 1,
      0,
    ];
    for (let offset = 0; offset < 30_000; offset += 37) offsets.push(offset);
    for (const offset of offsets) expect(text.format(offset)).toBe(plain('o.', offset));
  });

  it('keeps its prefix, and two formatters with different prefixes do not mix', () => {
    const a = new OffsetText('f.2025-11-24.000.');
    const b = new OffsetText('f.2025-11-24.001.');
    expect(a.format(78_349_392)).toBe('f.2025-11-24.000.000000078349392');
    expect(b.format(78_349_392)).toBe('f.2025-11-24.001.000000078349392');
    expect(a.format(12)).toBe('f.2025-11-24.000.000000000000012');
  });
});
