import { describe, expect, it } from 'vitest';
import { IoStore } from './io-store.ts';

describe('IoStore', () => {
  it('keeps the newest executions within its count and bytes, the oldest going first', () => {
    const store = new IoStore(3, 1000);
    for (const id of ['a', 'b', 'c', 'd']) store.put(id, 'input', `${id}-in`);
    expect(['a', 'b', 'c', 'd'].map((id) => store.get(id)?.input)).toEqual([
      undefined,
      'b-in',
      'c-in',
      'd-in',
    ]);
    store.put('e', 'output', 'x'.repeat(495)); // 990 bytes as UTF-16: b goes for the count, c for the bytes
    expect(store.get('b')).toBeUndefined();
    expect(store.get('c')).toBeUndefined();
    expect(store.get('d')?.input).toBe('d-in');
    expect(store.get('e')?.output).toHaveLength(495);
  });

  it('does not keep a value that alone exceeds the bytes, and loses nothing else for it', () => {
    const store = new IoStore(10, 1000);
    store.put('a', 'input', 'a-in');
    store.put('b', 'input', 'b-in');
    // 600 characters are 1 200 bytes: more than the store holds, though fewer characters than its bytes.
    store.put('c', 'input', 'x'.repeat(600));
    expect(store.get('c')).toBeUndefined();
    expect(store.get('a')?.input).toBe('a-in');
    expect(store.get('b')?.input).toBe('b-in');
    // An output that makes its execution too big: the execution keeps its input.
    store.put('b', 'output', 'y'.repeat(499));
    expect(store.get('b')).toEqual({ input: 'b-in' });
    // An input sent again longer (its entry got more lines), now too big: the shorter one is not served as it.
    store.put('a', 'input', 'z'.repeat(600));
    expect(store.get('a')).toBeUndefined();
    store.put('a', 'input', 'a-in');
    expect(store.get('a')?.input).toBe('a-in');
  });
});
