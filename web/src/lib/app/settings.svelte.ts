// The operator's preferences, kept in this browser (localStorage): retention, alerts, theme.
const KEY = 'truwatch.settings';

export interface Settings {
  /** Entries older than this many days are pruned (0: keep all). Tasks and invoices are always kept. */
  retentionDays: number;
  alerts: {
    enabled: boolean;
    unreachable: boolean;
    containerStopped: boolean;
    /** Alert when no task arrived for this many hours (0: off). */
    noTaskHours: number;
    /** Alert when more than this percentage of the last hour's tasks failed (0: off). */
    failureRatePercent: number;
  };
  theme: 'system' | 'light' | 'dark';
}

export const DEFAULT_SETTINGS: Settings = {
  retentionDays: 30,
  alerts: {
    enabled: false,
    unreachable: true,
    containerStopped: true,
    noTaskHours: 6,
    failureRatePercent: 20,
  },
  theme: 'system',
};

function load(): Settings {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
    return { ...DEFAULT_SETTINGS, ...stored, alerts: { ...DEFAULT_SETTINGS.alerts, ...stored.alerts } };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

class SettingsStore {
  value = $state<Settings>(DEFAULT_SETTINGS);

  init(): void {
    this.value = load();
    this.applyTheme();
  }

  update(change: (s: Settings) => void): void {
    const next = structuredClone($state.snapshot(this.value)) as Settings;
    change(next);
    this.value = next;
    localStorage.setItem(KEY, JSON.stringify(next));
    this.applyTheme();
  }

  private applyTheme(): void {
    const theme = this.value.theme;
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.dataset.theme = theme;
  }
}

export const settings = new SettingsStore();
