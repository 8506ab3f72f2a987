import { describe, expect, it } from 'vitest';
import { MIDNIGHT_GRACE_MS, spentOnPresence, spentOnTask } from './spend-on.ts';

const P = 'a'.repeat(32);
const Q = 'b'.repeat(32);
const MIDNIGHT = Date.UTC(2026, 11, 7);
const MINUTE = 60_000;

/** Whether a token first spent by pseudonym `first` at `firstMs` is its own for `node` at `ms`. */
const mine = (first: string, firstMs: number, node: string, ms: number) =>
  spentOnPresence(node, ms).isMine(spentOnPresence(first, firstMs).value);

describe('what a token is spent on', () => {
  it('a task token: its task key only', () => {
    expect(spentOnTask('k1').isMine(spentOnTask('k1').value)).toBe(true);
    expect(spentOnTask('k1').isMine(spentOnTask('k2').value)).toBe(false);
    expect(spentOnTask('k1').isMine(spentOnPresence(P, MIDNIGHT).value)).toBe(false);
  });

  it('a presence token: its pseudonym, all of its day, and not another pseudonym', () => {
    expect(mine(P, MIDNIGHT + 60 * MINUTE, P, MIDNIGHT + 23 * 60 * MINUTE)).toBe(true);
    expect(mine(P, MIDNIGHT + 60 * MINUTE, Q, MIDNIGHT + 60 * MINUTE)).toBe(false);
    expect(spentOnPresence(P, MIDNIGHT).isMine(spentOnTask(P).value)).toBe(false);
  });

  it('a monitor whose clock runs ahead: a pseudonym first heard just before midnight keeps its token all the next day', () => {
    const first = MIDNIGHT - 3 * MINUTE;
    expect(mine(P, first, P, MIDNIGHT + 12 * 60 * MINUTE)).toBe(true);
    // Heard first long before midnight, it was that day's pseudonym: not the next day's.
    expect(mine(P, MIDNIGHT - MIDNIGHT_GRACE_MS - MINUTE, P, MIDNIGHT + 12 * 60 * MINUTE)).toBe(false);
  });

  it('a monitor whose clock runs behind: its day’s pseudonym heard just after midnight is still its own', () => {
    const first = MIDNIGHT - 10 * 60 * MINUTE;
    expect(mine(P, first, P, MIDNIGHT + 3 * MINUTE)).toBe(true);
    expect(mine(P, first, P, MIDNIGHT + MIDNIGHT_GRACE_MS)).toBe(false);
  });

  it('never two days apart, and nothing that is not a record of ours', () => {
    expect(mine(P, MIDNIGHT - MINUTE, P, MIDNIGHT + 86_400_000 + MINUTE)).toBe(false);
    expect(spentOnPresence(P, MIDNIGHT).isMine(`p.${P}.x`)).toBe(false);
    expect(spentOnPresence(P, MIDNIGHT).isMine('')).toBe(false);
  });
});
