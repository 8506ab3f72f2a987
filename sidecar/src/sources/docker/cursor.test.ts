// Docker cursors: their documented shape, the count of lines sharing one timestamp, and their string order.
import { describe, expect, it } from 'vitest';
import { CursorCounter, cursorSeconds, formatCursor, nsToIso, parseCursor } from './cursor.ts';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('Docker cursors', () => {
  it('has the documented shape and converts back', () => {
    const cursor = formatCursor('1763992586123456789', 0, ID);
    expect(cursor).toBe('d.1763992586123456789.00000.0123456789ab');
    expect(parseCursor(cursor)).toEqual({ ns: '1763992586123456789', index: 0, id12: '0123456789ab' });
    expect(cursorSeconds(cursor)).toBe(1763992586);
    expect(nsToIso('1763992586123456789')).toBe('2025-11-24T13:56:26.123Z');
    expect(parseCursor('f.123.0')).toBeUndefined();
  });

  it('counts lines sharing a timestamp, and a line without one takes the previous one', () => {
    const counter = new CursorCounter(ID);
    const a = '1795251879000000000';
    const b = '1795251880000000000';
    const got = [a, a, undefined, b, a].map((ns) => counter.next(ns).cursor.split('.').slice(1, 3).join('.'));
    expect(got).toEqual([`${a}.00000`, `${a}.00001`, `${a}.00002`, `${b}.00000`, `${a}.00003`]);
  });

  it('sorts as strings in log order, also past 90 000 lines in one second', () => {
    const counter = new CursorCounter(ID);
    const cursors = Array.from({ length: 100_005 }, () => counter.next('1795251879000000000').cursor);
    expect(cursors[90_000]).toBe('d.1795251879000000000.9000000000.0123456789ab');
    expect(cursors.every((c, i) => i === 0 || cursors[i - 1]! < c)).toBe(true);
    expect(parseCursor(cursors[100_004]!)?.index).toBe(100_004);
    expect(cursors[100_004]! < formatCursor('1795251879000000001', 0, ID)).toBe(true);
  });
});
