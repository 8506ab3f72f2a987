// Activity reports: the hours the node was up (db/up-hours.ts), each reported once the hour has passed, at most
// 7 days back and only for hours wholly inside a period in which presence is shared. The hours already reported
// are remembered (at most 7 days of them), so a report is not sent again; one sent twice would change nothing
// at the aggregator either (it sets the hour's bit).
import type { ActivityMessage } from '../../../../../protocol/federation.ts';
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
  const from = to - KEEP_MS;
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

/** Remembers `hours` as reported, forgetting those older than 7 days. */
export async function markActivitySent(fed: FederationDb, hours: number[], nowMs: number): Promise<void> {
  const keep = ((await fed.get('activitySent')) ?? []).filter((h) => h >= nowMs - KEEP_MS - HOUR_MS);
  await fed.set(
    'activitySent',
    [...new Set([...keep, ...hours])].sort((a, b) => a - b),
  );
}
