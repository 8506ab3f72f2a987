// Milliseconds since the epoch of an entry's time, for the correlator's ageing (it runs for every entry).
// Entries carry UTC ISO-8601 with milliseconds (`YYYY-MM-DDTHH:MM:SS.sssZ`): the day is parsed once with
// Date.parse and the time of day read from its digits. Any other shape goes to Date.parse, so the result is
// always Date.parse's.

let day = '\0'; // matches no time
let dayMs = NaN;

const digit = (ts: string, at: number) => ts.charCodeAt(at) - 48;
const isDigitAt = (ts: string, at: number) => ts.charCodeAt(at) >= 48 && ts.charCodeAt(at) <= 57;
const TIME_DIGITS = [11, 12, 14, 15, 17, 18, 20, 21, 22];

export function isoMs(ts: string): number {
  if (
    ts.length !== 24 ||
    ts.charCodeAt(10) !== 84 /* T */ ||
    ts.charCodeAt(13) !== 58 /* : */ ||
    ts.charCodeAt(16) !== 58 ||
    ts.charCodeAt(19) !== 46 /* . */ ||
    ts.charCodeAt(23) !== 90 /* Z */
  )
    return Date.parse(ts);
  for (let i = 0; i < TIME_DIGITS.length; i++) if (!isDigitAt(ts, TIME_DIGITS[i]!)) return Date.parse(ts);
  const hours = digit(ts, 11) * 10 + digit(ts, 12);
  const minutes = digit(ts, 14) * 10 + digit(ts, 15);
  const seconds = digit(ts, 17) * 10 + digit(ts, 18);
  if (hours > 23 || minutes > 59 || seconds > 59) return Date.parse(ts);
  if (!ts.startsWith(day)) {
    day = ts.slice(0, 11);
    dayMs = Date.parse(`${day}00:00:00.000Z`);
  }
  if (Number.isNaN(dayMs)) return Date.parse(ts);
  const ms = digit(ts, 20) * 100 + digit(ts, 21) * 10 + digit(ts, 22);
  return dayMs + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + ms;
}
