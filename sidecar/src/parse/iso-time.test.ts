import { describe, expect, it } from 'vitest';
import { isoMs } from './iso-time.ts';

describe('isoMs', () => {
  it('is Date.parse for entry times and for anything else', () => {
    const times = [
      '2025-11-24T13:56:26.123Z',
      '2025-11-24T00:00:00.000Z',
      '2025-11-24T23:59:59.999Z',
      '2025-11-25T00:00:00.001Z',
      '2024-02-29T12:00:00.000Z',
      '2025-02-29T12:00:00.000Z',
      '2025-13-01T00:00:00.000Z',
      '2025-11-24T24:00:00.000Z',
      '2025-11-24T10:60:00.000Z',
      '2025-11-24T10:00:60.000Z',
      '1970-01-01T00:00:00.000Z',
      '2025-11-24T1a:00:00.000Z',
      '2025-11-24 10:00:00.000Z',
      '2025-11-24T10:00:00Z',
      '2025-11-24T10:00:00.000+01:00',
      'not a time',
      '',
    ];
    for (const ts of times) expect(isoMs(ts), ts).toBe(Date.parse(ts));
    // Again in another order: the day remembered from the call before must not leak into the next.
    for (const ts of [...times].reverse()) expect(isoMs(ts), ts).toBe(Date.parse(ts));
  });

  it('gives the time of day by its digits across a year boundary', () => {
    for (
      let ms = Date.parse('2025-12-31T23:00:00.000Z');
      ms < Date.parse('2026-01-01T01:00:00.000Z');
      ms += 997
    ) {
      const ts = new Date(ms).toISOString();
      expect(isoMs(ts), ts).toBe(ms);
    }
  });
});
