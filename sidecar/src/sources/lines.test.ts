import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.ts';

describe('LineSplitter', () => {
  it('carries partial lines across chunks and counts bytes with line ends', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('ab'))).toEqual([]);
    expect(s.push(Buffer.from('c\r\nd\n'))).toEqual([
      { text: 'abc', truncated: false, bytes: 5 },
      { text: 'd', truncated: false, bytes: 2 },
    ]);
    expect(s.push(Buffer.from('tail'))).toEqual([]);
    expect(s.end()).toEqual({ text: 'tail', truncated: false, bytes: 4 });
    expect(s.end()).toBeUndefined();
  });

  it('decodes a code point split across chunks', () => {
    const s = new LineSplitter();
    const euro = Buffer.from('€\n');
    expect(s.push(euro.subarray(0, 1))).toEqual([]);
    expect(s.push(euro.subarray(1))).toEqual([{ text: '€', truncated: false, bytes: 4 }]);
  });

  it('cuts a long line, keeps only the limit in memory, and resumes at the next line', () => {
    const s = new LineSplitter(10);
    for (let i = 0; i < 1000; i++) s.push(Buffer.alloc(1000, 0x61));
    expect(s.pendingBytes).toBe(1_000_000);
    const [line, next] = s.push(Buffer.from('\nok\n'));
    expect(line).toEqual({ text: 'aaaaaaaaaa', truncated: true, bytes: 1_000_001 });
    expect(next).toEqual({ text: 'ok', truncated: false, bytes: 3 });
  });
});
