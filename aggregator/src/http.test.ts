import { describe, expect, it } from 'vitest';
import type { Hour } from '../../protocol/federation.ts';
import { MAX_POINTS, createHttp, type HttpSources } from './http.ts';
import { Metrics } from './metrics.ts';
import { computeStats, hourlySeries } from './stats.ts';

const calls: [number, number][] = [];
const sources: HttpSources = {
  stats: (now) => computeStats([], [], now),
  hourly(from, to) {
    calls.push([from, to]);
    return hourlySeries([], [], from, to).map((h, i): Hour => ({ ...h, completed: i, failed: 1 }));
  },
  healthy: () => true,
  metrics: () => new Metrics().text(),
  historyDays: 35,
};
const app = createHttp(sources);

describe('the HTTP API', () => {
  it('serves the stats with open CORS', async () => {
    const response = await app.request('/api/stats', { headers: { Origin: 'https://elsewhere.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await response.json()) as { activeNodes: number }).activeNodes).toBe(0);
  });

  it('answers hourly and daily history, and refuses bad ranges and steps', async () => {
    const to = new Date(Date.now() - 3600_000).toISOString().slice(0, 13) + ':00:00Z';
    const from = new Date(Date.parse(to) - 47 * 3600_000).toISOString();
    const hourly = (await (await app.request(`/api/history?step=hourly&from=${from}&to=${to}`)).json()) as {
      points: { t: string; completed: number }[];
    };
    expect(hourly.points).toHaveLength(48);
    expect(hourly.points.at(-1)!.t).toBe(to);
    const daily = (await (await app.request(`/api/history?step=daily&from=${from}&to=${to}`)).json()) as {
      points: { t: string; completed: number; failed: number }[];
    };
    expect(daily.points.length).toBeGreaterThanOrEqual(2);
    expect(daily.points.reduce((n, p) => n + p.failed, 0)).toBe(daily.points.length * 24);
    expect((await app.request('/api/history?step=weekly')).status).toBe(400);
    expect((await app.request('/api/history?from=yesterday')).status).toBe(400);
    const tooLong = new Date(Date.parse(to) - MAX_POINTS * 3600_000).toISOString();
    expect((await app.request(`/api/history?step=hourly&from=${tooLong}&to=${to}`)).status).toBe(400);
  });

  it('serves health and Prometheus metrics', async () => {
    expect(await (await app.request('/healthz')).text()).toBe('ok');
    const metrics = await app.request('/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await metrics.text();
    for (const reason of ['oversize', 'json', 'schema', 'window', 'ratelimit'])
      expect(text).toContain(`truwatch_rejected_total{reason="${reason}"} 0`);
    expect(text).toMatch(/truwatch_consumer_lag 0/);
    expect(text).toMatch(/truwatch_consumer_lag_timestamp_seconds 0/);
    expect(text).toMatch(/truwatch_kv_conflicts_total 0/);
    expect(text).toMatch(/truwatch_duplicates_total 0/);
  });
});
