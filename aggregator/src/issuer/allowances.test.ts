import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Allowances, type AllowanceLimits } from './allowances.ts';
import { WEEK_MS } from './weeks.ts';

const root = mkdtempSync(join(tmpdir(), 'truwatch-allowances-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const LIMITS: AllowanceLimits = { perWeek: { presence: 14, task: 3 }, perKey: 100, maxSubjects: 2 };
const WEEK = Date.parse('2026-11-30T00:00:00Z');
let files = 0;
const fresh = (limits = LIMITS) => {
  const file = join(root, `allowances-${files++}.json`);
  return { file, allowances: new Allowances(file, limits) };
};

describe('Allowances', () => {
  it('gives each subject its week’s tokens of each kind, then refuses', () => {
    const { allowances } = fresh();
    for (let i = 0; i < 14; i++) expect(allowances.take('a', 'presence', WEEK)).toBeUndefined();
    expect(allowances.take('a', 'presence', WEEK)).toBe('exhausted');
    for (let i = 0; i < 3; i++) expect(allowances.take('a', 'task', WEEK)).toBeUndefined();
    expect(allowances.take('a', 'task', WEEK)).toBe('exhausted');
    expect(allowances.take('b', 'presence', WEEK)).toBeUndefined();
    expect(allowances.take('a', 'presence', WEEK + WEEK_MS)).toBeUndefined();
    expect(allowances.left('a', WEEK + WEEK_MS)).toEqual({ presence: 13, task: 3 });
  });

  it('remembers what was spent across a restart, in one file written whole', () => {
    const { file, allowances } = fresh();
    for (let i = 0; i < 14; i++) allowances.take('a', 'presence', WEEK);
    expect(new Allowances(file, LIMITS).take('a', 'presence', WEEK)).toBe('exhausted');
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses new subjects when full, rather than forget a spent allowance', () => {
    const { allowances } = fresh();
    allowances.take('a', 'presence', WEEK);
    allowances.take('b', 'presence', WEEK);
    expect(allowances.take('c', 'presence', WEEK)).toBe('store_full');
    expect(allowances.take('a', 'presence', WEEK)).toBeUndefined();
    // a new week forgets the last one: its keys sign no more
    expect(allowances.take('c', 'presence', WEEK + WEEK_MS)).toBeUndefined();
  });

  it('stops a key at its total', () => {
    const { allowances } = fresh({ ...LIMITS, perKey: 4, maxSubjects: 10 });
    for (const subject of ['a', 'b', 'c', 'd'])
      expect(allowances.take(subject, 'presence', WEEK)).toBeUndefined();
    expect(allowances.take('e', 'presence', WEEK)).toBe('key_full');
    expect(allowances.take('e', 'task', WEEK)).toBeUndefined();
  });
});
