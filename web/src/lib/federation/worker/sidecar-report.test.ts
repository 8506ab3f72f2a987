import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusReportSchema } from '../../../../../protocol/federation-status.ts';
import { fedError } from '../codes.ts';
import { DEFAULTS } from '../settings.ts';
import { reporter, sidecarReport } from './sidecar-report.ts';
import type { FederationStatus } from '../status.ts';

const status: FederationStatus = {
  enabled: true,
  consent: 'operator',
  state: 'RECONNECTING',
  nodeId: 'd6be1860851b63fbb66d1dc281b69ee5',
  counters: {
    sent: 12,
    refused: 1,
    errors: 3,
    lastError: { ...fedError('FED_001', 'x'.repeat(1000)), count: 3, sinceMs: 0 },
  },
  pending: 4,
  retryAtMs: null,
  settings: { ...DEFAULTS, enabled: true },
  leader: true,
};

afterEach(() => void vi.useRealTimers());

describe('the report to the sidecar', () => {
  it('is what the sidecar accepts, even with the longest error', () => {
    const report = sidecarReport(status);
    expect(v.parse(StatusReportSchema, report)).toEqual(report);
    expect(report).toMatchObject({ connected: false, state: 'RECONNECTING', stats: { sent: 12, errors: 3 } });
    expect(report.stats.lastError).toMatch(/^FED_001: x+$/);
    expect(sidecarReport({ ...status, state: 'CONNECTED' }).connected).toBe(true);
  });

  it('is sent on change at most once a second and every 30 s, with the token, and never unpaired', async () => {
    vi.useFakeTimers();
    const bodies: unknown[] = [];
    const fetcher = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      expect(String(url)).toBe('http://127.0.0.1:8090/api/federation/status');
      expect(init?.headers).toMatchObject({ authorization: 'Bearer t0k3n' });
      bodies.push(JSON.parse(String(init?.body)));
      return new Response(null, { status: 204 });
    });
    const report = reporter({ baseUrl: 'http://127.0.0.1:8090', token: 't0k3n' }, () => status, fetcher);
    report.changed();
    report.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toEqual([sidecarReport(status)]);
    report.changed();
    await vi.advanceTimersByTimeAsync(999);
    expect(bodies).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(bodies).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(bodies).toHaveLength(3);
    report.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(bodies).toHaveLength(3);

    const unpaired = vi.fn(async () => new Response(null, { status: 204 }));
    const silent = reporter(undefined, () => status, unpaired);
    silent.changed();
    await vi.advanceTimersByTimeAsync(31_000);
    silent.stop();
    expect(unpaired).not.toHaveBeenCalled();
  });
});
