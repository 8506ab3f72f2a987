import { describe, expect, it } from 'vitest';
import type { SpendOn } from './spent-tokens.ts';
import { MIDNIGHT_GRACE_MS, spentOnPresence, spentOnTask } from './spend-on.ts';

const P = 'a'.repeat(32);
const Q = 'b'.repeat(32);
const MIDNIGHT = Date.UTC(2026, 11, 7);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** One token spent by each message in turn, as the spent-token bucket does: what each one got. */
function spendAll(messages: SpendOn[]): string[] {
  let recorded: string | undefined;
  return messages.map((on) => {
    if (recorded === undefined) {
      recorded = on.value;
      return 'new';
    }
    if (on.isMine(recorded)) return 'mine';
    const extended = on.extend?.(recorded);
    if (extended === undefined) return 'double_spend';
    recorded = extended;
    return 'mine';
  });
}
const presence = (ms: number, node = P) => spentOnPresence(node, ms);

describe('what a token is spent on', () => {
  it('a task token: its task key only', () => {
    expect(spendAll([spentOnTask('k1'), spentOnTask('k1'), spentOnTask('k2')])).toEqual([
      'new',
      'mine',
      'double_spend',
    ]);
    expect(spendAll([spentOnTask('k1'), presence(MIDNIGHT)])).toEqual(['new', 'double_spend']);
  });

  it('a presence token: its pseudonym, all of its day, and not another pseudonym', () => {
    expect(
      spendAll([presence(MIDNIGHT + HOUR), presence(MIDNIGHT + 23 * HOUR), presence(MIDNIGHT + HOUR, Q)]),
    ).toEqual(['new', 'mine', 'double_spend']);
    expect(spendAll([presence(MIDNIGHT + 12 * HOUR), presence(MIDNIGHT + 36 * HOUR)])).toEqual([
      'new',
      'double_spend',
    ]);
  });

  it('a monitor whose clock runs ahead: first heard just before midnight, its token takes the next day', () => {
    expect(spendAll([presence(MIDNIGHT - 3 * MINUTE), presence(MIDNIGHT + 12 * HOUR)])).toEqual([
      'new',
      'mine',
    ]);
    // First heard long before midnight, the pseudonym was that day's.
    expect(
      spendAll([presence(MIDNIGHT - MIDNIGHT_GRACE_MS - MINUTE), presence(MIDNIGHT + 12 * HOUR)]),
    ).toEqual(['new', 'double_spend']);
  });

  it('a monitor whose clock runs behind: its pseudonym heard just after midnight, or first then with its last hour', () => {
    expect(spendAll([presence(MIDNIGHT - 10 * HOUR), presence(MIDNIGHT + 3 * MINUTE)])).toEqual([
      'new',
      'mine',
    ]);
    expect(spendAll([presence(MIDNIGHT - 10 * HOUR), presence(MIDNIGHT + MIDNIGHT_GRACE_MS)])).toEqual([
      'new',
      'double_spend',
    ]);
    // First heard at 00:02, then its activity report for 23:00 of the day before.
    expect(spendAll([presence(MIDNIGHT + 2 * MINUTE), presence(MIDNIGHT - HOUR)])).toEqual(['new', 'mine']);
  });

  it('never more than two days for one token, whatever the order', () => {
    // Reports for 00:00 of a day, then all of the day before, then 00:00 of the day after.
    expect(
      spendAll([
        presence(MIDNIGHT),
        presence(MIDNIGHT - 21 * HOUR),
        presence(MIDNIGHT - 12 * HOUR),
        presence(MIDNIGHT + 3 * HOUR),
        presence(MIDNIGHT + 24 * HOUR),
        presence(MIDNIGHT + 24 * HOUR + 9 * MINUTE),
      ]),
    ).toEqual(['new', 'mine', 'mine', 'mine', 'double_spend', 'double_spend']);
  });

  it('takes nothing that is not a record of ours', () => {
    expect(presence(MIDNIGHT).isMine(`p.${P}.x`)).toBe(false);
    expect(presence(MIDNIGHT).extend?.(`p.${P}.x`)).toBeUndefined();
    expect(presence(MIDNIGHT).isMine('')).toBe(false);
  });
});
