// Text shapes of the demo log: the runner's timestamp, JSON in its three printed styles, and the decorations
// (compose prefix, ANSI colours, Docker timestamp, CRLF) that logs carry in the wild.

/** Formats ms since the epoch as the runner does: `YYYY-MM-DD HH:MM:SS`, UTC, whole seconds. */
export class RunnerClock {
  private second = NaN;
  private text = '';

  format(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const iso = new Date(second * 1000).toISOString();
      this.second = second;
      this.text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
    }
    return this.text;
  }
}

export type JsonStyle = 'compact' | 'pretty' | 'spaced';

/** `{ "a": 1, "b": { "c": 2 } }`: one line with spaces, as in the sample's multi-line metrics. */
function spaced(value: unknown): string {
  if (Array.isArray(value)) return `[ ${value.map(spaced).join(', ')} ]`;
  if (value !== null && typeof value === 'object') {
    const parts = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${spaced(v)}`);
    return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** The lines of a JSON value: one line (compact), JSON.stringify's 2-space layout, or top-level keys per line. */
export function jsonLines(value: Record<string, unknown>, style: JsonStyle): string[] {
  if (style === 'compact') return [JSON.stringify(value)];
  if (style === 'pretty') return JSON.stringify(value, null, 2).split('\n');
  const keys = Object.entries(value);
  const lines = ['{'];
  keys.forEach(([k, v], i) =>
    lines.push(`  ${JSON.stringify(k)}: ${spaced(v)}${i < keys.length - 1 ? ',' : ''}`),
  );
  lines.push('}');
  return lines;
}

const ESC = '\u001b';
const LEVEL_COLOUR: Record<string, string> = { debug: '34', info: '32', warn: '33', error: '31' };

/** 32-bit hash of two integers, for deterministic per-line choices. */
function lineHash(block: number, index: number): number {
  let x = Math.imul(block ^ 0x2c1b3c6d, 0x297a2d39) ^ Math.imul(index + 0x9e37, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  return (x ^ (x >>> 13)) >>> 0;
}

/**
 * Decorates a fraction of lines the way logs reach the sidecar in the wild: ANSI colours around the runner's
 * timestamp and level (first lines only), a Docker RFC 3339 timestamp in front, a `docker compose` prefix
 * before that, a CRLF line end. Returns the line without its final `\n` (`\r` included when CRLF was chosen).
 */
export function decorateLine(text: string, wallMs: number, block: number, index: number): string {
  const h = lineHash(block, index);
  let line = text;
  const colour = LEVEL_COLOUR[/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\w+):/.exec(text)?.[1] ?? ''];
  if (colour !== undefined && h % 100 < 15) {
    const sp = text.indexOf(' ', 11);
    const colon = text.indexOf(':', sp);
    line =
      `${ESC}[90m${text.slice(0, sp)}${ESC}[39m ${ESC}[${colour}m${text.slice(sp + 1, colon)}${ESC}[39m` +
      text.slice(colon);
  }
  const dockerPick = (h >>> 14) % 100;
  if (dockerPick < 15) {
    const iso = new Date(Math.floor(wallMs)).toISOString();
    // Nanoseconds that grow with the line index, so Docker timestamps stay in order within a millisecond.
    const ns = iso.slice(20, 23) + String((index % 1000) * 1000 + ((h >>> 3) % 1000)).padStart(6, '0');
    line = `${dockerPick < 3 ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${ns}Z`} ${line}`;
  }
  if ((h >>> 7) % 100 < 15) line = `runner-node  | ${line}`;
  if ((h >>> 21) % 100 < 10) line += '\r';
  return line;
}
