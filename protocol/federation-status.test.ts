import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { OUTCOMES, REGIONS, TASK_KINDS } from './federation.ts';
import { sampleFigures, sampleReport } from '../test/support/federation-status-sample.ts';
import { FEDERATION_STATES, MAX_REPORT_BYTES, StatusReportSchema } from './federation-status.ts';

const stats = sampleFigures('2026-11-21T12:00:00Z', '2026-11-21T12:00:01.250Z');
const report = sampleReport(stats);
const valid = (value: unknown) => v.safeParse(StatusReportSchema, value).success;

describe('the federation status report', () => {
  it('accepts a report in every state, with or without a pseudonym, the network figures and an error', () => {
    for (const state of FEDERATION_STATES) expect(valid({ ...report, state })).toBe(true);
    expect(
      valid({
        ...report,
        nodeId: null,
        stats: null,
        counters: { ...report.counters, lastError: 'FED_001: down' },
      }),
    ).toBe(true);
  });

  it('refuses unknown keys, unknown states, odd pseudonyms, negative counts, unknown labels and long errors', () => {
    expect(valid({ ...report, address: '0xabc' })).toBe(false);
    expect(valid({ ...report, counters: { ...report.counters, wallet: 1 } })).toBe(false);
    expect(valid({ ...report, stats: { ...stats, nodes: ['0123456789abcdef0123456789abcdef'] } })).toBe(
      false,
    );
    expect(valid({ ...report, stats: { ...stats, regions: { 'node-1': 1 } } })).toBe(false);
    expect(valid({ ...report, state: 'UNKNOWN' })).toBe(false);
    expect(valid({ ...report, nodeId: 'node-1' })).toBe(false);
    expect(valid({ ...report, counters: { ...report.counters, sent: -1 } })).toBe(false);
    expect(valid({ ...report, counters: { ...report.counters, lastError: 'x'.repeat(401) } })).toBe(false);
  });

  it('fits the sidecar bound at its largest', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const all = (labels: readonly string[]) => Object.fromEntries(labels.map((l) => [l, big]));
    const largest = {
      ...report,
      stats: {
        at: '2026-11-21T12:00:00.000Z',
        receivedAt: '2026-11-21T12:00:00.000Z',
        activeNodes: big,
        nodesToday: big,
        tasks: { lastHour: big, last24h: big, last7d: big },
        outcomes: all(OUTCOMES),
        kinds: all(TASK_KINDS),
        regions: all([...REGIONS, 'other', 'unknown']),
      },
      counters: { sent: big, refused: big, errors: big, lastError: 'x'.repeat(400) },
      state: 'RECONNECTING',
    };
    expect(valid(largest)).toBe(true);
    expect(new TextEncoder().encode(JSON.stringify(largest)).length).toBeLessThanOrEqual(MAX_REPORT_BYTES);
  });
});
