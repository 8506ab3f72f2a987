import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, deliveryError } from '../../../../test/support/channel-failures.ts';
import { startReceiver, type HttpReceiver } from '../../../../test/support/http-receiver.ts';
import { downAlert, recoveredAlert } from '../../../../test/support/sample-alert.ts';
import { fromUrl } from './discord.ts';
import { fromUrl as fromHttpsUrl } from './https-urls.ts';

const ID = '112233445566778899';
const TOKEN = 'Zx9-s3cr3t_webhook_t0ken';
const discord = (text: string, origin?: string) => fromUrl(new URL(text), origin ? { origin } : {});

describe('Discord URLs', () => {
  it("reads Apprise's form and the address Discord shows; the label has the id, not the token", () => {
    expect(discord(`discord://${ID}/${TOKEN}`).label).toBe(`discord ${ID}`);
    expect(discord(`https://discord.com/api/webhooks/${ID}/${TOKEN}`).label).toBe(`discord ${ID}`);
    expect(discord(`https://discordapp.com/api/v10/webhooks/${ID}/${TOKEN}`).kind).toBe('discord');
    expect(fromHttpsUrl(new URL(`https://canary.discord.com/api/webhooks/${ID}/${TOKEN}`)).kind).toBe(
      'discord',
    );
  });

  it.each([
    [`discord://${ID}`, /no webhook token/],
    [`discord://not-a-number/${TOKEN}`, /the webhook id is a number/],
    [`discord://${ID}/${TOKEN}/extra`, /more than a webhook id and token/],
    [`discord://${ID}/${TOKEN}?avatar=no`, /unknown option/],
    [`https://discord.com/channels/${ID}/${TOKEN}`, /not a webhook address/],
    [`https://discord.example.com/api/webhooks/${ID}/${TOKEN}`, /not a Discord webhook/],
  ])('refuses %s, without quoting the token', (text, message) => {
    expect(() => discord(text)).toThrow(message);
    expect(() => discord(text)).not.toThrow(TOKEN);
  });

  it('an https:// address that is neither Discord nor Slack is refused', () => {
    expect(() => fromHttpsUrl(new URL(`https://example.com/hook/${TOKEN}`))).toThrow(/jsons:\/\//);
    expect(() => fromHttpsUrl(new URL(`https://example.com/hook/${TOKEN}`))).not.toThrow(TOKEN);
  });
});

describe('Discord delivery', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.answer({ status: 204 });
  });
  afterAll(() => receiver.close());

  it('posts the title and an embed coloured by the verdict, markdown escaped, mentions off', async () => {
    receiver.requests.length = 0;
    await discord(`discord://${ID}/${TOKEN}`, receiver.origin).send(downAlert(), AbortSignal.timeout(10_000));
    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/api/webhooks/${ID}/${TOKEN}`);
    expect(req?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req?.body ?? '');
    expect(body.content).toBe('runner-node is down');
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    const [embed] = body.embeds;
    expect(embed.title).toBe('runner-node is down');
    expect(embed.color).toBe(0xd32f2f);
    expect(embed.timestamp).toBe('2026-12-06T12:00:00.000Z');
    expect(embed.description).toBe(
      'log file /var/log/runner\\_node.log: \\<@everyone\\> & \\<!channel\\> \\*bold\\* \\[x\\](http://evil)\n' +
        'no log entry for 12 minutes\n\nrunner-node: healthy → down at 2026-12-06T12:00:00.000Z',
    );
  });

  it('a recovery is green; the user part names the poster; Discord limits hold', async () => {
    receiver.requests.length = 0;
    await discord(`discord://truwatch@${ID}/${TOKEN}`, receiver.origin).send(
      recoveredAlert(),
      AbortSignal.timeout(10_000),
    );
    let body = JSON.parse(receiver.requests[0]?.body ?? '');
    expect(body.embeds[0].color).toBe(0x2e7d32);
    expect(body.username).toBe('truwatch');

    receiver.requests.length = 0;
    await discord(`discord://${ID}/${TOKEN}`, receiver.origin).send(
      downAlert({ title: 'T'.repeat(300), text: '*'.repeat(4000) }),
      AbortSignal.timeout(10_000),
    );
    body = JSON.parse(receiver.requests[0]?.body ?? '');
    expect(body.content.length).toBeLessThanOrEqual(2000);
    expect(body.embeds[0].title.length).toBeLessThanOrEqual(256);
    expect(body.embeds[0].description.length).toBeLessThanOrEqual(4096);
  });

  it("Discord's own 429 JSON: the retry_after it gives", async () => {
    receiver.answer({
      status: 429,
      headers: { 'content-type': 'application/json' },
      body: '{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}',
    });
    const error = await deliveryError(
      discord(`discord://${ID}/${TOKEN}`, receiver.origin).send(downAlert(), AbortSignal.timeout(10_000)),
    );
    receiver.answer({ status: 204 });
    expect(error.retry).toBe(true);
    expect(error.retryAfterMs).toBe(1500);
    expect(error.message).toBe('answered 429 Too Many Requests: You are being rate limited.');
  });
});

describeFailures({
  make: (origin) => discord(`discord://${ID}/${TOKEN}`, origin),
  refused: {
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: '{"message": "Unknown Webhook", "code": 10015}',
    words: 'answered 404 Not Found: Unknown Webhook',
  },
  secret: TOKEN,
});
