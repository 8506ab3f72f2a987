// Debian's Prometheus scrapes the real sidecar's /metrics with the shipped scrape config (deploy/prometheus),
// and promtool checks and unit-tests the shipped alert rules; every query of the Grafana dashboard is one
// Prometheus accepts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../../sidecar/src/server.ts';
import { writeGeneratedLog } from '../../sidecar/src/demo/write-log.ts';
import { poll } from '../support/poll.ts';
import { startPrometheus, type Prometheus } from '../support/prometheus.ts';
import { API_KEY, sidecarConfig } from '../support/sidecar-in-process.ts';

const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const METRICS_TOKEN = 'metrics-only-token-0123456789';

describe('Prometheus and the sidecar', () => {
  let dir: string;
  let sidecar: Sidecar;
  let prometheus: Prometheus;
  let tasks: { received: number; completed: number; failed: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'truwatch-metrics-'));
    mkdirSync(join(dir, 'logs'));
    await writeGeneratedLog(join(dir, 'logs', 'runner.log'), { tasks: 60 });
    sidecar = await startSidecar({
      ...sidecarConfig(dir, 0, { kind: 'file', dir: join(dir, 'logs') }),
      metricsToken: METRICS_TOKEN,
    });
    tasks = await poll(
      'the log read',
      status,
      (c) => c.entries > 0 && c.tasks.received > 0 && c.live,
      30_000,
    ).then((c) => c.tasks);
    // The shipped scrape config, pointed at this sidecar, with the metrics token in its token file.
    const shipped = readFileSync(join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8')
      .replace("['127.0.0.1:8090']", `['${new URL(sidecar.url).host}']`)
      .replace('scrape_interval: 30s', 'scrape_interval: 1s')
      .replace('evaluation_interval: 30s', 'evaluation_interval: 1s');
    prometheus = await startPrometheus(shipped, {
      'truwatch-token': METRICS_TOKEN,
      'alerts.yml': readFileSync(join(DEPLOY, 'prometheus/alerts.yml'), 'utf8'),
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.close();
    await sidecar?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function status() {
    const res = await fetch(`${sidecar.url}/api/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const body = (await res.json()) as {
      source: { state: string };
      counts: { entries: number; tasks: { received: number; completed: number; failed: number } };
    };
    return { ...body.counts, live: body.source.state === 'live' };
  }

  it('opens /metrics to the metrics token and the API token only, and the metrics token opens nothing else', async () => {
    const get = (path: string, token?: string) =>
      fetch(`${sidecar.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(
        (r) => r.status,
      );
    expect(await get('/metrics')).toBe(401);
    expect(await get('/metrics', 'wrong-token-0123456789')).toBe(401);
    expect(await get('/metrics', METRICS_TOKEN)).toBe(200);
    expect(await get('/metrics', API_KEY)).toBe(200);
    expect(await get('/api/status', METRICS_TOKEN)).toBe(401);
  });

  it('is scraped by Prometheus with the shipped config, and its counts are the sidecar’s', async () => {
    const value = async (expr: string) => Number((await prometheus.query(expr))[0]?.value[1] ?? NaN);
    await poll(
      'the first scrapes',
      () => value('up{job="truwatch"}'),
      (v) => v === 1,
      30_000,
    );
    await poll(
      'the task counts',
      () => value('sum(truwatch_tasks_received_total)'),
      (v) => v > 0,
      30_000,
    );
    expect(await value('sum(truwatch_tasks_received_total)')).toBe(tasks.received);
    expect(await value('sum(truwatch_tasks_finished_total{outcome="completed"})')).toBe(tasks.completed);
    expect(await value('sum(truwatch_tasks_finished_total{outcome="failed"})')).toBe(tasks.failed);
    expect(await value('sum(truwatch_node_health)')).toBe(1); // one verdict holds
    expect(await value('truwatch_source_state{state="live"}')).toBe(1);
    expect(await value('truwatch_task_duration_seconds_count')).toBeGreaterThan(0);
    expect(await value('truwatch_slots_total')).toBeGreaterThan(0);
  });

  it('accepts every query of the shipped Grafana dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/truwatch-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) await expect(prometheus.query(expr), expr).resolves.toBeDefined();
    // The health panel answers for this sidecar.
    expect(await prometheus.query(dashboard.panels[0]!.targets[0]!.expr)).toHaveLength(1);
  });

  it('ships alert rules promtool accepts, and whose unit tests pass', () => {
    const promtool = (...args: string[]) =>
      execFileSync('promtool', args, { cwd: join(DEPLOY, 'prometheus'), encoding: 'utf8' });
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 5 rules found/);
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });
});
