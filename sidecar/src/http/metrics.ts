// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- a script of declarations (no module to import): every program that compiles this file, the web app's checks too, must see them
/// <reference path="./prom-client-parts.d.ts" />
// GET /metrics: the node as Prometheus reads it (prom-client's text format), behind a bearer token like the API
// (the API token, or METRICS_TOKEN for a scraper that should read nothing else). Counts are the monitor's
// (the log since its first entry, as /api/status), read at each scrape; durations and steps are observed as
// their entries arrive.
import type { Hono } from 'hono';
import type * as PromClient from 'prom-client';
import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';
import type { Entry } from '../../../protocol/node-events.ts';
import { HEALTH_REASONS, HEALTH_VERDICTS } from '../../../protocol/node-health.ts';
import { SOURCE_STATES } from '../../../protocol/node-events.ts';
import type { NodeMonitor } from '../monitor.ts';
import type { Alerter } from '../notify/alerter.ts';

export interface MetricsOptions {
  monitor: NodeMonitor;
  /** Event streams open now. */
  streams: () => number;
  /** The alerts sent (NOTIFY_URLS), when a channel is configured. */
  alerter?: Alerter;
}

// prom-client's index also loads its default process metrics, 12 MB of resident memory against the sidecar's
// budget of 100 MB: only the parts used here are imported (1 MB; their types: prom-client-parts.d.ts).

const KINDS = ['function', 'api'] as const;
const OUTCOMES = ['completed', 'failed'] as const;

export function createMetrics({ monitor, streams, alerter }: MetricsOptions): PromClient.Registry {
  const registry = new Registry();
  const snapshot = () => monitor.snapshot();

  new Counter({
    name: 'truwatch_tasks_received_total',
    help: 'Tasks received, by kind (the log since its first entry)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const byKind = snapshot().counts.tasksByKind;
      this.reset();
      for (const kind of KINDS) this.inc({ kind }, byKind[kind].received);
    },
  });
  new Counter({
    name: 'truwatch_tasks_finished_total',
    help: 'Received tasks that finished, by outcome and kind',
    labelNames: ['outcome', 'kind'],
    registers: [registry],
    collect() {
      const byKind = snapshot().counts.tasksByKind;
      this.reset();
      for (const kind of KINDS)
        for (const outcome of OUTCOMES) this.inc({ outcome, kind }, byKind[kind][outcome]);
    },
  });
  const duration = new Histogram({
    name: 'truwatch_task_duration_seconds',
    help: "Tasks' run time as the runner measured it (elapsed in its metrics)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'truwatch_task_steps',
    help: 'Steps a task computed (metering.last.steps)',
    buckets: [1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11],
    registers: [registry],
  });
  monitor.onEntry((entry: Entry) => {
    if (entry.kind !== 'task.metrics' || !entry.metrics) return;
    if (entry.metrics.elapsedMs !== undefined) duration.observe(entry.metrics.elapsedMs / 1000);
    if (entry.metrics.steps !== undefined) steps.observe(entry.metrics.steps);
  });
  new Counter({
    name: 'truwatch_invoices_total',
    help: 'Invoices in the log',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(snapshot().counts.invoices);
    },
  });
  gauge(
    registry,
    'truwatch_slots_active',
    'Slots in use, as the runner last said',
    () => snapshot().slots.active,
  );
  gauge(registry, 'truwatch_slots_total', 'Slots the runner has', () => snapshot().slots.total);
  new Gauge({
    name: 'truwatch_container_running',
    help: "1 while the runner's container runs (Docker source only), with its state as a label",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const container = snapshot().container;
      this.reset();
      if (container) this.set({ state: container.state }, container.state === 'running' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'truwatch_node_health',
    help: 'The health verdict: 1 for the one that holds (healthy, degraded, down)',
    labelNames: ['verdict'],
    registers: [registry],
    collect() {
      const verdict = snapshot().health.verdict;
      for (const v of HEALTH_VERDICTS) this.set({ verdict: v }, v === verdict ? 1 : 0);
    },
  });
  new Gauge({
    name: 'truwatch_node_health_reason',
    help: 'The reasons of the verdict: 1 for each that holds (container, restarting, source, stale, failures, idle, registration)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const codes = new Set(snapshot().health.reasons.map((r) => r.code));
      for (const reason of HEALTH_REASONS) this.set({ reason }, codes.has(reason) ? 1 : 0);
    },
  });
  gauge(
    registry,
    'truwatch_last_entry_age_seconds',
    "Seconds since the log's last entry (its own time)",
    () => {
      const at = snapshot().health.lastEntryAt;
      return at === undefined ? undefined : Math.max(0, (Date.now() - Date.parse(at)) / 1000);
    },
  );
  new Gauge({
    name: 'truwatch_source_state',
    help: 'The log source: 1 for the state it is in (connecting, backfill, live, waiting, error)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const state = snapshot().source.state;
      for (const s of SOURCE_STATES) this.set({ state: s }, s === state ? 1 : 0);
    },
  });
  const sourceErrors = new Counter({
    name: 'truwatch_source_errors_total',
    help: 'Times the source went from reading to waiting or failing',
    registers: [registry],
  });
  let lastState = monitor.state.state;
  monitor.onStatusChange((status) => {
    const failing = status.state === 'waiting' || status.state === 'error';
    if (failing && lastState !== 'waiting' && lastState !== 'error') sourceErrors.inc();
    lastState = status.state;
  });
  new Counter({
    name: 'truwatch_parse_entries_total',
    help: 'Log entries parsed, by what they were: all, raw (outside the grammar), unrecognised, broken JSON',
    labelNames: ['class'],
    registers: [registry],
    collect() {
      const c = snapshot().counts;
      this.reset();
      this.inc({ class: 'all' }, c.entries);
      this.inc({ class: 'raw' }, c.raw);
      this.inc({ class: 'unrecognised' }, c.unrecognised);
      this.inc({ class: 'json_error' }, c.jsonErrors);
    },
  });
  gauge(registry, 'truwatch_sse_clients', 'Event streams open (GET /api/events)', streams);
  gauge(registry, 'truwatch_sidecar_resident_memory_bytes', "The sidecar's resident memory", () =>
    process.memoryUsage.rss(),
  );
  if (alerter) alertMetrics(registry, alerter);
  return registry;
}

function alertMetrics(registry: PromClient.Registry, alerter: Alerter): void {
  new Counter({
    name: 'truwatch_alerts_total',
    help: 'Alerts raised since the start, by verdict (test: POST /api/alerts/test)',
    labelNames: ['verdict'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [verdict, count] of alerter.alertCounts) this.inc({ verdict }, count);
    },
  });
  new Counter({
    name: 'truwatch_alert_deliveries_total',
    help: 'Delivery attempts since the start, by channel kind and outcome (sent, retry: failed and tried again, failed: given up)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, outcome, count } of alerter.deliveryCounts.values())
        this.inc({ channel: kind, outcome }, count);
    },
  });
}

/** A gauge read at each scrape; absent while `read` has no value. */
function gauge(
  registry: PromClient.Registry,
  name: string,
  help: string,
  read: () => number | undefined,
): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      this.reset();
      if (value !== undefined) this.set(value);
    },
  });
}

/** Mount behind the token check of /metrics (app.ts). */
export function mountMetrics(app: Hono, options: MetricsOptions): void {
  const registry = createMetrics(options);
  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });
}
