// How numbers, times and durations read on the pages.

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

/** Local date and time, to the second. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
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
