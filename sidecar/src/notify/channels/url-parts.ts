// What the channels' factories share in reading a notification URL: its path segments, its options, and the
// configuration error that shows where the mistake is without showing a secret.
import { ConfigError } from '../../config-error.ts';

/**
 * A mistake in a notification URL: what is wrong and the form expected, never a part of the URL (its user,
 * password, host or path may be a token). Whoever reads NOTIFY_URLS says which URL it is.
 */
export function badUrl(problem: string, expected: string): ConfigError {
  return new ConfigError(`${problem} (expected ${expected})`);
}

/** The path's segments, percent-decoded, empty ones dropped. */
export function pathSegments(url: URL): string[] {
  return url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => safeDecode(s));
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The URL's query options, refusing any not in `known` (a typo would otherwise be ignored silently). An option
 * given twice keeps both values, joined by `;`.
 */
export function options(
  url: URL,
  known: readonly string[],
  fail: (problem: string) => ConfigError,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!known.includes(key)) {
      const allowed = known.length ? `its options are ${known.join(', ')}` : 'it takes no options';
      throw fail(`unknown option "${key.slice(0, 40)}" (${allowed})`);
    }
    const before = out.get(key);
    out.set(key, before === undefined ? value : `${before};${value}`);
  }
  return out;
}
