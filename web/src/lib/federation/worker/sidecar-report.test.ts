import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusReportSchema } from '../../../../../protocol/federation-status.ts';
import { fedError } from '../codes.ts';
import { DEFAULTS } from '../settings.ts';
import { reporter, sidecarReport, type ReceivedStats } from './sidecar-report.ts';
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
  tokens: null,
};

const received: ReceivedStats = {
  receivedMs: Date.parse('2026-11-21T12:00:01.500Z'),
  message: {
    v: 1,
    at: '2026-11-21T12:00:00Z',
    activeNodes: 41,
    nodesToday: 57,
    tasks: { lastHour: 120, last24h: 2400, last7d: 16000 },
    outcomes: { completed: 2300, failed: 100 },
    kinds: { function: 2000, api: 400 },
    chains: { ethereum: 2400 },
    duration: {},
    steps: {},
    memory: {},
    regions: { EU: 20, other: 21 },
    versions: { '2.0.0': 41 },
    hourly: [{ hour: '2026-11-21T11:00:00Z', completed: 110, failed: 10, nodes: 40 }],
  },
};

afterEach(() => void vi.useRealTimers());

describe('the report to the sidecar', () => {
  it('is what the sidecar accepts, even with the longest error, with the network figures received', () => {
    const report = sidecarReport(status, received);
    expect(v.parse(StatusReportSchema, report)).toEqual(report);
    expect(report).toMatchObject({
      connected: false,
      state: 'RECONNECTING',
      counters: { sent: 12, errors: 3 },
    });
    expect(report.counters.lastError).toMatch(/^FED_001: x+$/);
    expect(report.stats).toEqual({
      at: '2026-11-21T12:00:00Z',
      receivedAt: '2026-11-21T12:00:01.500Z',
      activeNodes: 41,
      nodesToday: 57,
      tasks: { lastHour: 120, last24h: 2400, last7d: 16000 },
      outcomes: { completed: 2300, failed: 100 },
      kinds: { function: 2000, api: 400 },
      regions: { EU: 20, other: 21 },
    });
    expect(sidecarReport({ ...status, state: 'CONNECTED' }, undefined)).toMatchObject({
      connected: true,
      stats: null,
    });
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
    const report = reporter(
      { baseUrl: 'http://127.0.0.1:8090', token: 't0k3n' },
      () => status,
      async () => received,
      fetcher,
    );
    report.changed();
    report.changed();
    await vi.advanceTimersByTimeAsync(0);
    expect(bodies).toEqual([sidecarReport(status, received)]);
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
    const silent = reporter(
      undefined,
      () => status,
      async () => received,
      unpaired,
    );
    silent.changed();
    await vi.advanceTimersByTimeAsync(31_000);
    silent.stop();
    expect(unpaired).not.toHaveBeenCalled();
  });
});
