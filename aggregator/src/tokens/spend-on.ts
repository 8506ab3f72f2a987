// What a token is spent on (docs/TRUST.md, "Which messages carry one"). A task token: its task's key. A
// presence token: a pseudonym, with when it was first spent. A pseudonym is the node's for one UTC day, so the
// token is the pseudonym's on every message of that day. A monitor's clock may run a little ahead or behind the
// server's, whose arrival times decide the day: a pseudonym first heard in the last minutes before midnight, or
// heard again in the first minutes after it, is still its own day's (at most two days for one token, and only
// by sending around midnight).
import type { SpendOn } from './spent-tokens.ts';

const DAY_MS = 86_400_000;
/**
 * How far around midnight a pseudonym's token still counts for the day next to its own: twice the 5 minutes a
 * monitor's clock may run ahead (ingest.ts, FUTURE_GRACE_MS).
 */
export const MIDNIGHT_GRACE_MS = 10 * 60_000;

export function spentOnTask(taskKey: string): SpendOn {
  const value = `t.${taskKey}`;
  return { value, isMine: (recorded) => recorded === value };
}

/** A presence token spent by a message of pseudonym `node` that arrived at `ms`. */
export function spentOnPresence(node: string, ms: number): SpendOn {
  return {
    value: `p.${node}.${ms}`,
    isMine(recorded) {
      const match = /^p\.([0-9a-f]{32})\.(\d{1,15})$/.exec(recorded);
      if (!match || match[1] !== node) return false;
      const first = Number(match[2]);
      const [firstDay, day] = [Math.floor(first / DAY_MS), Math.floor(ms / DAY_MS)];
      if (day === firstDay) return true;
      if (Math.abs(day - firstDay) !== 1) return false;
      // The midnight between the two days: the earlier time just before it, or the later just after it.
      const midnight = Math.max(firstDay, day) * DAY_MS;
      return (
        midnight - Math.min(first, ms) <= MIDNIGHT_GRACE_MS ||
        Math.max(first, ms) - midnight < MIDNIGHT_GRACE_MS
      );
    },
  };
}
