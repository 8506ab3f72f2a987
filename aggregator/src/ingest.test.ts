import { describe, expect, it } from 'vitest';
import { windowOf } from '../../protocol/federation.ts';
import { windowAccepted } from './ingest.ts';

const NOW = Date.parse('2026-11-21T10:37:12Z');
const DAY = 24 * 3600_000;

describe('the accepted windows', () => {
  it('takes windows up to 7 days old and up to 5 minutes ahead of the ingest time', () => {
    expect(windowAccepted(windowOf(NOW), NOW)).toBe(true);
    expect(windowAccepted('2026-11-14T10:35:00Z', NOW)).toBe(true);
    expect(windowAccepted('2026-11-14T10:30:00Z', NOW)).toBe(false);
    expect(windowAccepted(windowOf(NOW - 8 * DAY), NOW)).toBe(false);
    expect(windowAccepted('2026-11-21T10:40:00Z', NOW)).toBe(true);
    expect(windowAccepted('2026-11-21T10:45:00Z', NOW)).toBe(false);
  });
});
