// Alerts as the alerter makes them, for the notification channels' tests: a node going down for reasons whose
// words hold what a receiver's markup would act on (<, &, >, *, mentions), and its recovery.
import type { Alert } from '../../protocol/alerts.ts';

export const HOSTILE_REASON =
  'log file /var/log/runner_node.log: <@everyone> & <!channel> *bold* [x](http://evil)';

export function downAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: 'a-2026-12-06T12:00:00.000Z-down',
    node: 'runner-node',
    verdict: 'down',
    previous: 'healthy',
    at: '2026-12-06T12:00:00.000Z',
    reasons: [
      {
        code: 'source',
        verdict: 'down',
        text: HOSTILE_REASON,
        since: '2026-12-06T11:58:00.000Z',
      },
      {
        code: 'stale',
        verdict: 'degraded',
        text: 'no log entry for 12 minutes',
        since: '2026-12-06T11:48:00.000Z',
      },
    ],
    title: 'runner-node is down',
    text: `${HOSTILE_REASON}\nno log entry for 12 minutes`,
    ...overrides,
  };
}

export function recoveredAlert(): Alert {
  return downAlert({
    id: 'a-2026-12-06T12:30:00.000Z-healthy',
    verdict: 'healthy',
    previous: 'down',
    at: '2026-12-06T12:30:00.000Z',
    reasons: [],
    title: 'runner-node recovered',
    text: '',
  });
}
