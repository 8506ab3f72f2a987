import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures } from '../../../../test/support/channel-failures.ts';
import { startReceiver, type HttpReceiver } from '../../../../test/support/http-receiver.ts';
import { downAlert } from '../../../../test/support/sample-alert.ts';
import { fromUrl as fromHttpsUrl } from './https-urls.ts';
import { fromUrl } from './slack.ts';

const SECRET = 'XXs3cr3tXXs3cr3tXXs3cr3t';
const slack = (text: string, origin?: string) => fromUrl(new URL(text), origin ? { origin } : {});

describe('Slack URLs', () => {
  it("reads Apprise's form and the address Slack shows; the label has the ids, not the secret", () => {
    expect(slack(`slack://T0001/B0002/${SECRET}`).label).toBe('slack T0001/B0002');
    expect(slack(`slack://T0001/B0002/${SECRET}/#alerts`).label).toBe('slack T0001/B0002 #alerts');
    expect(slack(`slack://T0001/B0002/${SECRET}/%23alerts`).label).toBe('slack T0001/B0002 #alerts');
    expect(slack(`slack://T0001/B0002/${SECRET}/alerts`).label).toBe('slack T0001/B0002 #alerts');
    expect(fromHttpsUrl(new URL(`https://hooks.slack.com/services/T0001/B0002/${SECRET}`)).label).toBe(
      'slack T0001/B0002',
    );
  });

  it.each([
    [`slack://T0001/B0002`, /three webhook tokens/],
    [`slack://xoxb-1234-5678/alerts`, /a bot token/],
    [`slack://T0001/B0002/${SECRET}/a/b`, /one channel per URL/],
    [`slack://T0001/B0002/${SECRET}/bad%20channel`, /a channel is/],
    [`slack://T0001/B0002/${SECRET}?footer=no`, /unknown option/],
    [`https://hooks.slack.com/workflows/T0001/B0002/${SECRET}`, /not a webhook address/],
  ])('refuses %s, without quoting the secret', (text, message) => {
    expect(() => slack(text)).toThrow(message);
    expect(() => slack(text)).not.toThrow(SECRET);
  });
});

describe('Slack delivery', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.answer({ status: 200, body: 'ok' });
  });
  afterAll(() => receiver.close());

  it('posts { text } in mrkdwn with &, < and > escaped (no link, no @channel), and the channel', async () => {
    receiver.requests.length = 0;
    await slack(`slack://poster@T0001/B0002/${SECRET}/#alerts`, receiver.origin).send(
      downAlert(),
      AbortSignal.timeout(10_000),
    );
    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/services/T0001/B0002/${SECRET}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      text:
        '*runner-node is down*\n' +
        'log file /var/log/runner_node.log: &lt;@everyone&gt; &amp; &lt;!channel&gt; *bold* [x](http://evil)\n' +
        'no log entry for 12 minutes\n\nrunner-node: healthy → down at 2026-12-06T12:00:00.000Z',
      channel: '#alerts',
      username: 'poster',
    });
  });
});

describeFailures({
  make: (origin) => slack(`slack://T0001/B0002/${SECRET}`, origin),
  refused: { status: 403, body: 'invalid_token', words: 'answered 403 Forbidden: invalid_token' },
  secret: SECRET,
});
