// Activity reports: the hours the node was up (db/up-hours.ts), each reported once the hour has passed, at most
// 7 days back and only for hours wholly inside a period in which presence is shared. The hours already reported
// are remembered (at most 7 days of them), so a report is not sent again; one sent twice would change nothing
// at the aggregator either (it sets the hour's bit).
import type { ActivityMessage } from '../../../../../protocol/federation.ts';
import { SUBJECTS } from '../../../../../protocol/subjects.ts';
import { inTransaction } from '../../db/idb.ts';
import type { TruwatchDb } from '../../db/schema.ts';
import { HOUR_MS, upHours } from '../../db/up-hours.ts';
import { activityMessage } from './anonymize.ts';
import { KEEP_MS, type FederationDb, type Period } from './federation-db.ts';
import type { Identity } from './identity.ts';

export interface ActivityReport {
  hourMs: number;
  json: string;
}

/** Whether the hour starting at `hourMs` lies wholly inside one of `periods`. */
function hourShared(hourMs: number, periods: readonly Period[]): boolean {
  return periods.some((p) => hourMs >= p.fromMs && (p.toMs === null || hourMs + HOUR_MS <= p.toMs));
}

/**
 * The reports still to send: every closed hour of the last 7 days, shared, in which the node was up, not yet
 * reported. A report the guard refuses is left out and counted in `refused`.
 */
export async function pendingActivity(
  fed: FederationDb,
  main: TruwatchDb,
  input: {
    identity: Identity;
    periods: readonly Period[];
    region: ActivityMessage['region'] | undefined;
    nowMs: number;
  },
): Promise<{ reports: ActivityReport[]; refused: string[] }> {
  const to = Math.floor(input.nowMs / HOUR_MS) * HOUR_MS;
  // Not the hour that began 7 days before this one: the aggregator takes an hour up to 7 days old, and by the
  // time the report arrives that one is older.
  const from = to - KEEP_MS + HOUR_MS;
  const sent = new Set((await fed.get('activitySent')) ?? []);
  const hours = (await upHours(main, from, to)).filter(
    (hourMs) => !sent.has(hourMs) && hourShared(hourMs, input.periods),
  );
  const node = await main.get('node', 'node');
  const reports: ActivityReport[] = [];
  const refused: string[] = [];
  for (const hourMs of hours) {
    const result = await activityMessage({ node, region: input.region, hourMs }, input.identity);
    if (result.ok) reports.push({ hourMs, json: result.json });
    else refused.push(result.reason);
  }
  return { reports, refused };
}

/**
 * Logs `reports` in the sent log as they left at `atMs` (marked refused, with the server's reason, if it refused
 * them) and, unless refused, remembers their hours as reported, forgetting those older than 7 days.
 */
export async function recordActivity(
  fed: FederationDb,
  reports: readonly ActivityReport[],
  atMs: number,
  refused?: string,
): Promise<void> {
  await inTransaction(fed.db.transaction(['sent', 'meta'], 'readwrite'), async (tx) => {
    const log = tx.objectStore('sent');
    await Promise.all(
      reports.map((r) =>
        log.add({
          atMs,
          subject: SUBJECTS.activity,
          kind: 'activity',
          json: r.json,
          ...(refused !== undefined && { refused }),
        }),
      ),
    );
    if (refused !== undefined) return;
    const meta = tx.objectStore('meta');
    const before = ((await meta.get('activitySent'))?.value as number[] | undefined) ?? [];
    const keep = before.filter((h) => h >= atMs - KEEP_MS - HOUR_MS);
    const hours = [...new Set([...keep, ...reports.map((r) => r.hourMs)])].sort((x, y) => x - y);
    await meta.put({ key: 'activitySent', value: hours });
  });
}
