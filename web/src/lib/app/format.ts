// How numbers, times and durations read on the pages. Every time and date a page shows is written here, in one
// zone (the browser's, or UTC when Settings say so) and the browser's locale; days are in day.ts.

export function formatCount(n: number | undefined): string {
  return n === undefined ? '–' : n.toLocaleString('en-US');
}

export function formatPercent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined ? '–' : `${(fraction * 100).toFixed(1)} %`;
}

/** 0.8 ms, 12.3 ms, 4.56 s, 2 min 3 s */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * A task's duration: the runner's own `elapsed`, or "unknown" when it reported none. The log's timestamps are
 * whole seconds, too coarse to stand in for it (a 40 ms call would read 0 s or 1 s).
 */
export function formatElapsed(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : formatDuration(ms);
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Big step counts: 523 441 → 523.4 k, 150 000 000 → 150.0 M */
export function formatSteps(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 10_000) return String(n);
  if (n < 10_000_000) return `${(n / 1000).toFixed(1)} k`;
  if (n < 10_000_000_000) return `${(n / 1_000_000).toFixed(1)} M`;
  return `${(n / 1_000_000_000).toFixed(1)} G`;
}

/**
 * The zone every page shows times in: the browser's own (undefined) or 'UTC', as Settings say. A getter, so a
 * page that formats a time reads the setting's state and shows the change at once (settings.svelte.ts sets it).
 */
let zoneSource: () => 'UTC' | undefined = () => undefined;
export function setTimeZoneSource(source: () => 'UTC' | undefined): void {
  zoneSource = source;
}
export function shownTimeZone(): 'UTC' | undefined {
  return zoneSource();
}

/** Who formats: the zone shown, and the browser's locale (undefined) unless a test names one. */
export interface TimeOptions {
  timeZone?: 'UTC';
  locale?: string;
}
const current = (options?: TimeOptions) => ({
  timeZone: options ? options.timeZone : shownTimeZone(),
  locale: options?.locale,
});

const formats = new Map<string, Intl.DateTimeFormat>();
/** Intl formats are slow to make and a list formats thousands of times: one per locale, zone and style. */
function format(style: 'time' | 'day' | 'zone' | 'clock', options?: TimeOptions): Intl.DateTimeFormat {
  const { timeZone, locale } = current(options);
  const key = `${style}|${timeZone}|${locale}`;
  let f = formats.get(key);
  if (!f) {
    const day = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
    const time = { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' } as const;
    const parts =
      style === 'time'
        ? { ...day, ...time }
        : style === 'day'
          ? day
          : style === 'clock'
            ? { hour: '2-digit', minute: '2-digit' }
            : { timeZoneName: 'short' };
    f = new Intl.DateTimeFormat(locale, { ...parts, timeZone } as Intl.DateTimeFormatOptions);
    if (formats.size > 32) formats.clear();
    formats.set(key, f);
  }
  return f;
}

/**
 * A moment, to the second, with its zone: the one way every page writes a time (06.12.2026, 07:48:12 GMT-8 in
 * de-DE; 12/06/2026, 07:48:12 AM PST in en-US). The date's order is the browser's locale's.
 */
export function formatTime(ms: number | undefined, options?: TimeOptions): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return format('time', options).format(ms);
}

/** A calendar day in the shown zone, in the browser's locale (06.12.2026). */
export function formatDate(ms: number | undefined, options?: TimeOptions): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return format('day', options).format(ms);
}

/** A time of day to the minute in the shown zone (07:45, 07:45 AM), without its zone: for a label that names it once. */
export function formatClock(ms: number, options?: TimeOptions): string {
  return format('clock', options).format(ms);
}

/** The shown zone's short name at a moment (GMT-8, PST, CET, UTC): it changes with daylight saving time. */
export function formatZone(ms: number, options?: TimeOptions): string {
  const parts = format('zone', options).formatToParts(ms);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? current(options).timeZone ?? '';
}

/** "3 s ago", "5 min ago", "2 h ago", or the date. */
export function formatAgo(ms: number | undefined, nowMs: number): string {
  if (ms === undefined) return '–';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return formatTime(ms);
}

export function shortId(id: string | undefined): string {
  return id === undefined ? '–' : id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
