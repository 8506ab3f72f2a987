import { afterEach, describe, expect, it, vi } from 'vitest';
import { announceChange } from '../../db/changes.ts';
import { ScanSchedule } from './scan-schedule.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A schedule whose scans take `scanMs` and record when they start and end, and how many run at once. */
function schedule(gapMs: number, scanMs = 0) {
  const starts: number[] = [];
  const ends: number[] = [];
  let running = 0;
  let most = 0;
  const scans = new ScanSchedule(
    async () => {
      starts.push(Date.now());
      most = Math.max(most, ++running);
      await sleep(scanMs);
      running--;
      ends.push(Date.now());
    },
    { gapMs },
  );
  return { scans, starts, ends, most: () => most };
}

let current: ScanSchedule | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

describe('scan schedule', () => {
  it('scans when the monitor announces a write, once for a burst, and never more often than the gap', async () => {
    const { scans, starts } = schedule(1000);
    current = scans;
    scans.start();
    await sleep(100);
    expect(starts).toHaveLength(0);
    announceChange();
    await vi.waitFor(() => expect(starts).toHaveLength(1));
    for (let i = 0; i < 20; i++) announceChange();
    await sleep(100);
    expect(starts).toHaveLength(1);
    await vi.waitFor(() => expect(starts).toHaveLength(2));
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(995);
    await sleep(300);
    expect(starts).toHaveLength(2);
  });

  it('runs one scan at a time: asks made during a scan get one more scan after it', async () => {
    const { scans, starts, most } = schedule(0, 100);
    current = scans;
    const first = scans.now();
    await sleep(20);
    const asks = [scans.now(), scans.now(), scans.now()];
    expect(asks[1]).toBe(asks[0]);
    await Promise.all([first, ...asks]);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(95);
    expect(most()).toBe(1);
  });

  it('hears nothing once stopped, and stopping waits for the scan under way', async () => {
    const { scans, starts, ends } = schedule(0, 200);
    scans.start();
    announceChange();
    await vi.waitFor(() => expect(starts).toHaveLength(1), { interval: 5 });
    await scans.stop();
    expect(ends).toHaveLength(1);
    announceChange();
    await sleep(100);
    expect(starts).toHaveLength(1);
  });
});
