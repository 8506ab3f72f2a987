// The first line of a runner entry:
//   YYYY-MM-DD HH:MM:SS <level>: @truebit/<component>[-0x<address>]:<version> <message>
// Read by position rather than by one regular expression: this runs for every line of every log.

/**
 * The part of a header between the timestamp and the message, parsed. It repeats on nearly every line, so the
 * same object is handed out again for the same text (treat it as read-only).
 */
export interface Header {
  /** The text it was parsed from: `<level>: @truebit/<component>[-0x<address>]:<version>`. */
  text: string;
  level: string;
  component: string;
  address: string | undefined;
  version: string;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const COMPONENT = /^[a-z0-9][a-z0-9._-]*$/;
const LEVEL = /^[A-Za-z]{1,15}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SCOPE = ': @truebit/';

/** True when the line starts with `YYYY-MM-DD HH:MM:SS`, i.e. starts a new entry. */
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
export function startsWithTimestamp(line: string): boolean {
  return startsWithTimestampAt(line, 0, line.length);
}

/** startsWithTimestamp for the line `text[start, end)`. */
export function startsWithTimestampAt(text: string, start: number, end: number): boolean {
  if (end - start < 19) return false;
  for (let i = 0; i < DIGIT_POSITIONS.length; i++)
    if (!isDigit(text.charCodeAt(start + DIGIT_POSITIONS[i]!))) return false;
  return (
    text.charCodeAt(start + 4) === 45 &&
    text.charCodeAt(start + 7) === 45 &&
    text.charCodeAt(start + 10) === 32 &&
    text.charCodeAt(start + 13) === 58 &&
    text.charCodeAt(start + 16) === 58 &&
    (end - start === 19 || !isWordChar(text.charCodeAt(start + 19)))
  );
}

function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

let lastStamp = '';
let lastIso: string | undefined;
/**
 * The ISO-8601 UTC time of a line that starts with a timestamp, or undefined when it is not a real time
 * (`2025-99-99 99:99:99`); memoised for runs of equal stamps.
 */
export function leadingTimestamp(line: string): string | undefined {
  return leadingTimestampAt(line, 0);
}

/** leadingTimestamp for the line that starts at `start` in `text`. */
export function leadingTimestampAt(text: string, start: number): string | undefined {
  const stamp = text.slice(start, start + 19);
  if (stamp !== lastStamp) {
    lastStamp = stamp;
    lastIso = plausible(stamp) ? `${stamp.slice(0, 10)}T${stamp.slice(11)}.000Z` : undefined;
  }
  return lastIso;
}

/** Month 1–12, day 1–31, hour < 24, minute < 60, second ≤ 60 (by character codes: this runs per line). */
function plausible(stamp: string): boolean {
  const month = twoDigits(stamp, 5);
  const day = twoDigits(stamp, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    twoDigits(stamp, 11) < 24 &&
    twoDigits(stamp, 14) < 60 &&
    twoDigits(stamp, 17) <= 60
  );
}

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

const recent: Header[] = [];
const MAX_RECENT = 8;

/** The header of a line that starts with a timestamp, or undefined when the rest is not in the grammar. */
export function parseHeader(line: string): Header | undefined {
  return parseHeaderAt(line, 0, line.length);
}

/** parseHeader for the line `text[start, end)`. */
export function parseHeaderAt(text: string, start: number, end: number): Header | undefined {
  if (text.charCodeAt(start + 19) !== 32) return undefined;
  for (let i = 0; i < recent.length; i++) {
    const h = recent[i]!;
    const headerEnd = start + 20 + h.text.length;
    // slice + === measured several times faster than startsWith(text, 20) here.
    if (
      headerEnd <= end &&
      (end === headerEnd || text.charCodeAt(headerEnd) === 32) &&
      text.slice(start + 20, headerEnd) === h.text
    )
      return h;
  }
  const header = parseNewHeader(start === 0 && end === text.length ? text : text.slice(start, end));
  if (!header) return undefined;
  recent.unshift(header);
  if (recent.length > MAX_RECENT) recent.pop();
  return header;
}

/** The message of a line whose header is `header`. */
export function messageOf(line: string, header: Header): string {
  return messageAt(line, 0, line.length, header);
}

/** messageOf for the line `text[start, end)`. */
export function messageAt(text: string, start: number, end: number, header: Header): string {
  const headerEnd = start + 20 + header.text.length;
  return end <= headerEnd ? '' : text.slice(headerEnd + 1, end);
}

function parseNewHeader(line: string): Header | undefined {
  const scope = line.indexOf(SCOPE, 20);
  if (scope === -1 || scope > 40) return undefined;
  const level = line.slice(20, scope);
  if (!LEVEL.test(level)) return undefined;
  const componentStart = scope + SCOPE.length;
  const versionColon = line.indexOf(':', componentStart);
  if (versionColon === -1) return undefined;
  const space = line.indexOf(' ', versionColon + 1);
  const version = space === -1 ? line.slice(versionColon + 1) : line.slice(versionColon + 1, space);
  if (version === '' || version.includes(':')) return undefined;
  let component = line.slice(componentStart, versionColon);
  let address: string | undefined;
  if (component.length > 43 && component.charCodeAt(component.length - 43) === 45) {
    const candidate = component.slice(-42);
    if (ADDRESS.test(candidate)) {
      address = candidate;
      component = component.slice(0, -43);
    }
  }
  if (!COMPONENT.test(component)) return undefined;
  return {
    // A copy, not a slice: a slice keeps the whole first line alive and compares slower.
    text: Buffer.from(line.slice(20, space === -1 ? line.length : space)).toString(),
    level: level.toLowerCase(),
    component,
    address,
    version,
  };
}
