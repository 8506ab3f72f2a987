// The aggregator's public HTTP API: the latest stats, a history series, health and Prometheus metrics.
// CORS is open: everything here is public.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Hour, StatsMessage } from '../../protocol/federation.ts';

export interface HttpSources {
  stats(now: number): StatsMessage;
  /** Completed/failed tasks and distinct nodes per hour from `from` to `to` (hour starts). */
  hourly(from: number, to: number): Hour[];
  healthy(): boolean;
  metrics(): string;
  /** How many days of history are kept. */
  historyDays: number;
}

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** The most points one history answer carries. */
export const MAX_POINTS = 24 * 31;

export interface Point {
  t: string;
  completed: number;
  failed: number;
  /** Distinct nodes heard in the step (hourly only: pseudonyms change every day). */
  nodes?: number;
}

export function dailyPoints(hours: Hour[]): Point[] {
  const days = new Map<string, Point>();
  for (const h of hours) {
    const t = h.hour.slice(0, 10) + 'T00:00:00Z';
    const day = days.get(t) ?? { t, completed: 0, failed: 0 };
    day.completed += h.completed;
    day.failed += h.failed;
    days.set(t, day);
  }
  return [...days.values()];
}

export function createHttp(sources: HttpSources): Hono {
  const app = new Hono();
  app.use('/api/*', cors({ origin: '*', allowMethods: ['GET'] }));
  app.get('/api/stats', (c) => c.json(sources.stats(Date.now())));
  app.get('/api/history', (c) => {
    const step = c.req.query('step') ?? 'hourly';
    if (step !== 'hourly' && step !== 'daily') return c.json({ error: 'step must be hourly or daily' }, 400);
    const unit = step === 'hourly' ? HOUR_MS : DAY_MS;
    const now = Date.now();
    const to = Date.parse(c.req.query('to') ?? new Date(now).toISOString());
    const from = Date.parse(c.req.query('from') ?? new Date(to - 7 * DAY_MS).toISOString());
    if (Number.isNaN(from) || Number.isNaN(to) || from > to)
      return c.json({ error: 'from and to must be ISO dates, from ≤ to' }, 400);
    const first = Math.max(
      Math.floor(from / unit) * unit,
      Math.floor((now - sources.historyDays * DAY_MS) / unit) * unit,
    );
    const last = Math.floor(to / unit) * unit;
    if ((last - first) / unit + 1 > MAX_POINTS) return c.json({ error: `at most ${MAX_POINTS} points` }, 400);
    const hours = sources.hourly(first, last + unit - HOUR_MS);
    const points: Point[] =
      step === 'hourly' ? hours.map(({ hour, ...rest }) => ({ t: hour, ...rest })) : dailyPoints(hours);
    return c.json({ step, from: new Date(first).toISOString(), to: new Date(last).toISOString(), points });
  });
  app.get('/healthz', (c) => (sources.healthy() ? c.text('ok') : c.text('unavailable', 503)));
  app.get('/metrics', (c) => c.text(sources.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }));
  return app;
}
