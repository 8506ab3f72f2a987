// Docker log timestamps and the cursors built from them.
// A cursor is `d.<19-digit unix ns>.<index>.<12 hex of the container id>`: the index counts the lines sharing
// one timestamp in the order the engine returns them, so reading the log again from the start of that second
// gives every line the same cursor. Cursors of one container compare as strings in log order.

/** Docker's prefix: RFC 3339 in UTC, nanoseconds (Docker), whole seconds (podman) or anything between. */
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Parses an RFC 3339 timestamp into unix nanoseconds as 19 digits, or undefined when it is not one. */
export function parseTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return undefined;
  }
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return `${ms / 1000}${frac.padEnd(9, '0')}`.padStart(19, '0');
}

/** Unix nanoseconds (19 digits) → ISO-8601 with milliseconds. */
export function nsToIso(ns: string): string {
  if (ns !== lastIso.ns) lastIso = { ns, iso: new Date(nsToMs(ns)).toISOString() };
  return lastIso.iso;
}
let lastIso = { ns: '', iso: '' };

export function nsToMs(ns: string): number {
  return Number(ns.slice(0, -6));
}

/** Whole unix seconds of a cursor's timestamp, or undefined when it is not a Docker cursor. */
export function cursorSeconds(cursor: string): number | undefined {
  const parsed = parseCursor(cursor);
  return parsed ? Number(parsed.ns.slice(0, -9)) : undefined;
}

/**
 * The index is 5 digits below 90 000; beyond, `9` and 9 more digits, which still sorts after every shorter one
 * (podman's whole-second timestamps could in theory share one second between more lines).
 */
function formatIndex(index: number): string {
  return index < 90_000 ? String(index).padStart(5, '0') : `9${String(index - 90_000).padStart(9, '0')}`;
}

export function formatCursor(ns: string, index: number, containerId: string): string {
  return `d.${ns}.${formatIndex(index)}.${containerId.slice(0, 12)}`;
}

const CURSOR = /^d\.(\d{19})\.(\d{5}|9\d{9})\.([0-9a-f]{12})$/;

export function parseCursor(cursor: string): { ns: string; index: number; id12: string } | undefined {
  const m = CURSOR.exec(cursor);
  if (!m) return undefined;
  const [, ns = '', index = '', id12 = ''] = m;
  const n = index.length === 5 ? Number(index) : 90_000 + Number(index.slice(1));
  return { ns, index: n, id12 };
}

const ZERO_NS = '0'.repeat(19);
/** Timestamps remembered for their counts; the log is in time order, so only the latest few matter. */
const REMEMBERED = 256;

/** Gives each line of one container's log its cursor, in the order the engine returns them. */
export class CursorCounter {
  private readonly counts = new Map<string, number>();
  private lastNs = ZERO_NS;

  constructor(private readonly containerId: string) {}

  /** The next cursor for a line with this timestamp; a line without one takes the previous line's. */
  next(ns: string | undefined): { cursor: string; ns: string } {
    const at = ns ?? this.lastNs;
    this.lastNs = at;
    const index = this.counts.get(at) ?? 0;
    this.counts.delete(at);
    this.counts.set(at, index + 1);
    if (this.counts.size > REMEMBERED) this.counts.delete(this.counts.keys().next().value as string);
    return { cursor: formatCursor(at, index, this.containerId), ns: at };
  }
}
