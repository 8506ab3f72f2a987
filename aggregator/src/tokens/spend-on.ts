// What a token is spent on (docs/TRUST.md, "Which messages carry one"). A task token: its task's key. A
// presence token: a pseudonym, which is the node's for one UTC day, so the token is the pseudonym's on every
// message of that day. A message's day is its arrival's for a heartbeat and its hour's for an activity report.
// A monitor's clock may run a little ahead or behind the server's: a token first spent within minutes of a
// midnight, or a message of its pseudonym within minutes of one, may also take the day on the other side of
// that midnight, but only one such day: one token backs at most two days, and two only around a midnight.
import type { SpendOn } from './spent-tokens.ts';

const DAY_MS = 86_400_000;
/**
 * How far around midnight a pseudonym's token may take the day next to its own: twice the 5 minutes a
 * monitor's clock may run ahead (ingest.ts, FUTURE_GRACE_MS).
 */
export const MIDNIGHT_GRACE_MS = 10 * 60_000;

export function spentOnTask(taskKey: string): SpendOn {
  const value = `t.${taskKey}`;
  return { value, isMine: (recorded) => recorded === value };
}

/** `p.<pseudonym>.<first spent, ms>[.<the other day it took, in days since the epoch>]` */
const PRESENCE = /^p\.([0-9a-f]{32})\.(\d{1,15})(?:\.(\d{1,6}))?$/;

/** A presence token spent by a message of pseudonym `node` whose time (arrival, or reported hour) is `ms`. */
export function spentOnPresence(node: string, ms: number): SpendOn {
  const day = Math.floor(ms / DAY_MS);
  const parse = (recorded: string) => {
    const match = PRESENCE.exec(recorded);
    if (!match || match[1] !== node) return undefined;
    const first = Number(match[2]);
    return { first, firstDay: Math.floor(first / DAY_MS), other: match[3] ? Number(match[3]) : undefined };
  };
  return {
    value: `p.${node}.${ms}`,
    isMine(recorded) {
      const spent = parse(recorded);
      return spent !== undefined && (day === spent.firstDay || day === spent.other);
    },
    extend(recorded) {
      const spent = parse(recorded);
      if (!spent || spent.other !== undefined || Math.abs(day - spent.firstDay) !== 1) return undefined;
      const midnight = Math.max(day, spent.firstDay) * DAY_MS;
      const near = (t: number) => Math.abs(t - midnight) < MIDNIGHT_GRACE_MS;
      return near(spent.first) || near(ms) ? `${recorded}.${day}` : undefined;
    },
  };
}
