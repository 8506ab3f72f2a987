import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { FEDERATION_STATES, StatusReportSchema } from './federation-status.ts';

const report = {
  enabled: true,
  connected: true,
  state: 'CONNECTED',
  nodeId: '0123456789abcdef0123456789abcdef',
  stats: { sent: 12, refused: 1, errors: 0, lastError: null },
};
const valid = (value: unknown) => v.safeParse(StatusReportSchema, value).success;

describe('the federation status report', () => {
  it('accepts a report in every state, with or without a pseudonym and an error', () => {
    for (const state of FEDERATION_STATES) expect(valid({ ...report, state })).toBe(true);
    expect(valid({ ...report, nodeId: null, stats: { ...report.stats, lastError: 'FED_001: down' } })).toBe(
      true,
    );
  });

  it('refuses unknown keys, unknown states, odd pseudonyms, negative counts and long errors', () => {
    expect(valid({ ...report, address: '0xabc' })).toBe(false);
    expect(valid({ ...report, stats: { ...report.stats, wallet: 1 } })).toBe(false);
    expect(valid({ ...report, state: 'UNKNOWN' })).toBe(false);
    expect(valid({ ...report, nodeId: 'node-1' })).toBe(false);
    expect(valid({ ...report, stats: { ...report.stats, sent: -1 } })).toBe(false);
    expect(valid({ ...report, stats: { ...report.stats, lastError: 'x'.repeat(401) } })).toBe(false);
  });
});
