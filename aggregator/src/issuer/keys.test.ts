import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCEPTED_AFTER_MS, LISTED_AFTER_END_MS, KeyRing } from './keys.ts';
import { DAY_MS, WEEK_MS, weekName, weekStart } from './weeks.ts';

const root = mkdtempSync(join(tmpdir(), 'truwatch-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Wednesday 2026-12-02 12:00 UTC: its week starts on Monday 2026-11-30. */
const WEDNESDAY = Date.parse('2026-12-02T12:00:00Z');

describe('weeks', () => {
  it('start on Monday 00:00 UTC', () => {
    expect(weekName(weekStart(WEDNESDAY))).toBe('2026-11-30');
    expect(weekStart(Date.parse('2026-11-30T00:00:00Z'))).toBe(Date.parse('2026-11-30T00:00:00Z'));
    expect(weekName(weekStart(Date.parse('2026-11-29T23:59:59.999Z')))).toBe('2026-11-23');
  });
});

describe('KeyRing', () => {
  const dir = join(root, 'keys');
  const ring = new KeyRing(dir);
  ring.rotate(WEDNESDAY);
  const monday = weekStart(WEDNESDAY);

  it('makes a key per kind for this week and the next two, in 0600 files of a 0700 directory', () => {
    const keys = ring.keys(WEDNESDAY);
    expect(keys.map((k) => `${k.kind} ${weekName(k.weekStart)}`)).toEqual([
      'presence 2026-11-30',
      'task 2026-11-30',
      'presence 2026-12-07',
      'task 2026-12-07',
      'presence 2026-12-14',
      'task 2026-12-14',
    ]);
    expect(keys.every((k) => k.privateKey && k.tokenKey.length === 342)).toBe(true);
    expect(new Set(keys.map((k) => k.tokenKeyId.at(-1))).size).toBe(6);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(12);
    for (const file of files) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
  });

  it('publishes this week’s and the coming weeks’ keys; signs only under this week’s', () => {
    expect(ring.published(WEDNESDAY)).toHaveLength(6);
    const [presence, task, nextPresence] = ring.keys(WEDNESDAY);
    expect(ring.signing(presence!.tokenKeyId.at(-1)!, WEDNESDAY)).toBe(presence);
    expect(ring.signing(task!.tokenKeyId.at(-1)!, WEDNESDAY)).toBe(task);
    expect(ring.signing(nextPresence!.tokenKeyId.at(-1)!, WEDNESDAY)).toBeUndefined();
  });

  it('keeps the same keys across a restart', () => {
    const again = new KeyRing(dir);
    expect(again.keys(WEDNESDAY).map((k) => k.tokenKeyId.toString('hex'))).toEqual(
      ring.keys(WEDNESDAY).map((k) => k.tokenKeyId.toString('hex')),
    );
  });

  it('deletes a week’s private keys when it ends, and its public keys once its tokens are no longer accepted', () => {
    const [presence] = ring.keys(WEDNESDAY);
    const nextWeek = WEDNESDAY + WEEK_MS;
    ring.rotate(nextWeek);
    const files = readdirSync(dir);
    expect(files).not.toContain(`presence-${weekName(monday)}.private.pem`);
    expect(files).not.toContain(`task-${weekName(monday)}.private.pem`);
    expect(files).toContain(`presence-${weekName(monday)}.public.pem`);
    expect(files).toContain(`presence-${weekName(monday + 3 * WEEK_MS)}.private.pem`);
    const old = ring.keys(nextWeek).find((k) => k.weekStart === monday && k.kind === 'presence');
    expect(old?.privateKey).toBeUndefined();
    expect(ring.signing(presence!.tokenKeyId.at(-1)!, nextWeek)).toBeUndefined();
    expect(ring.published(nextWeek).every((k) => k.weekStart > monday)).toBe(true);
    expect(new KeyRing(dir).keys(nextWeek).find((k) => k.weekStart === monday)?.privateKey).toBeUndefined();

    // Listed two days past its end, for every aggregator to see it end; then gone.
    ring.rotate(monday + WEEK_MS + ACCEPTED_AFTER_MS + DAY_MS);
    expect(readdirSync(dir).filter((f) => f.includes(weekName(monday)))).toHaveLength(2);
    ring.rotate(monday + WEEK_MS + ACCEPTED_AFTER_MS + LISTED_AFTER_END_MS);
    expect(readdirSync(dir).filter((f) => f.includes(weekName(monday)))).toEqual([]);
  });
});
