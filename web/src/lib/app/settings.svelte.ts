// The operator's preferences, kept in this browser (localStorage): retention, alerts, theme, time zone. The
// retention is handed to the monitor database's worker, which prunes by it (ingest/worker/auto-prune.ts).
import { checkRetentionDays, DEFAULT_RETENTION_DAYS } from '../db/retention.ts';
import { setTimeZoneSource } from './format.ts';
import { monitorDbWorker } from './monitor-db.svelte.ts';

const KEY = 'truwatch.settings';

export interface Settings {
  /** Entries older than this many days are pruned (0: keep all). Tasks and invoices are always kept. */
  retentionDays: number;
  /**
   * True once the operator chose the retention here; until then it is the deployment's default
   * (`LOG_RETENTION_DAYS`, in config.json's `monitor.retentionDays`) or DEFAULT_RETENTION_DAYS.
   */
  retentionChosen: boolean;
  /** Browser notifications on the sidecar's verdict (down always notifies once they are on). */
  alerts: {
    enabled: boolean;
    degraded: boolean;
    recovered: boolean;
    unreachable: boolean;
  };
  theme: 'system' | 'light' | 'dark';
  /** The zone every page shows times and days in: this browser's, or UTC. */
  timeZone: 'local' | 'UTC';
}

export const DEFAULT_SETTINGS: Settings = {
  retentionDays: DEFAULT_RETENTION_DAYS,
  retentionChosen: false,
  alerts: { enabled: false, degraded: true, recovered: true, unreachable: true },
  theme: 'system',
  timeZone: 'local',
};

/** `stored`'s values for the keys of `defaults` that it has with the same type. */
function pick<T extends object>(defaults: T, stored: unknown): T {
  const out = { ...defaults };
  if (typeof stored !== 'object' || stored === null) return out;
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const value = (stored as T)[key];
    if (typeof value === typeof defaults[key]) out[key] = value;
  }
  return out;
}

function load(): Settings {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
    const loaded = {
      ...DEFAULT_SETTINGS,
      ...stored,
      // Only the keys known now: the thresholds kept by earlier versions moved to the sidecar (HEALTH_*).
      alerts: pick(DEFAULT_SETTINGS.alerts, stored.alerts),
    };
    // Stored before the choice was recorded: a value other than the default was chosen.
    loaded.retentionChosen =
      stored.retentionChosen ??
      (stored.retentionDays !== undefined && stored.retentionDays !== DEFAULT_RETENTION_DAYS);
    // A value stored before the range was checked: keep all rather than prune by it.
    if ('error' in checkRetentionDays(loaded.retentionDays)) loaded.retentionDays = 0;
    if (loaded.timeZone !== 'UTC') loaded.timeZone = 'local';
    return loaded;
  } catch {
    return DEFAULT_SETTINGS;
  }
}

class SettingsStore {
  value = $state<Settings>(DEFAULT_SETTINGS);

  constructor() {
    setTimeZoneSource(() => (this.value.timeZone === 'UTC' ? 'UTC' : undefined));
  }

  init(): void {
    this.value = load();
    this.applyTheme();
    if (this.value.retentionChosen) this.applyRetention();
    else void this.useDeploymentRetention();
  }

  /** The deployment's retention (config.json), while the operator has not chosen one; the default without it. */
  private async useDeploymentRetention(): Promise<void> {
    let days = DEFAULT_RETENTION_DAYS;
    try {
      const response = await fetch('/config.json', { cache: 'no-store' });
      const config = response.ok
        ? ((await response.json()) as { monitor?: { retentionDays?: unknown } })
        : {};
      const checked = checkRetentionDays(config.monitor?.retentionDays ?? DEFAULT_RETENTION_DAYS);
      if (!('error' in checked)) days = checked.days;
    } catch {
      // No config.json (a static host without one, offline): the default.
    }
    if (!this.value.retentionChosen) this.value = { ...this.value, retentionDays: days };
    this.applyRetention();
  }

  update(change: (s: Settings) => void): void {
    const before = this.value.retentionDays;
    const next = structuredClone($state.snapshot(this.value)) as Settings;
    change(next);
    this.value = next;
    localStorage.setItem(KEY, JSON.stringify(next));
    this.applyTheme();
    if (next.retentionDays !== before) this.applyRetention();
  }

  /** Sets how many days of entries to keep, or says why not (nothing is saved then). */
  setRetentionDays(value: unknown): string | undefined {
    const checked = checkRetentionDays(value);
    if ('error' in checked) return checked.error;
    this.update((s) => {
      s.retentionDays = checked.days;
      s.retentionChosen = true;
    });
    return undefined;
  }

  private applyRetention(): void {
    monitorDbWorker
      .keepEntriesFor(this.value.retentionDays)
      .catch((error: unknown) => console.error('truwatch: pruning failed', error));
  }

  private applyTheme(): void {
    const theme = this.value.theme;
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.dataset.theme = theme;
  }
}

export const settings = new SettingsStore();
