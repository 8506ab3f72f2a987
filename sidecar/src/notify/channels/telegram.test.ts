import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, deliveryError } from '../../../../test/support/channel-failures.ts';
import { startReceiver, type HttpReceiver } from '../../../../test/support/http-receiver.ts';
import { downAlert, HOSTILE_REASON } from '../../../../test/support/sample-alert.ts';
import { encodeBotToken, fromUrl } from './telegram.ts';

const TOKEN = '123456789:AAHs3cr3t-b0t_t0k3n';
const SECRET = 'AAHs3cr3t-b0t_t0k3n';
const tgram = (text: string, origin?: string) =>
  fromUrl(new URL(encodeBotToken(text)), origin ? { origin } : {});

describe('Telegram URLs', () => {
  it('reads the bot token (its colon as written or %3A) and the chat; the label has the chat only', () => {
    expect(tgram(`tgram://${TOKEN}/-1001234567890`).label).toBe('telegram -1001234567890');
    expect(tgram('tgram://123456789%3AAAHs3cr3t-b0t_t0k3n/42').label).toBe('telegram 42');
    expect(tgram(`tgram://bot${TOKEN}/@node_alerts`).label).toBe('telegram @node_alerts');
    expect(() => new URL(`tgram://${TOKEN}/42`)).toThrow();
    expect(encodeBotToken(`tgram://${TOKEN}/42`)).toBe('tgram://123456789%3AAAHs3cr3t-b0t_t0k3n/42');
    expect(encodeBotToken('ntfy://host:80/topic')).toBe('ntfy://host:80/topic');
  });

  it.each([
    [`tgram://${TOKEN}`, /no chat id/],
    [`tgram://${TOKEN}/1/2`, /one chat per URL/],
    [`tgram://${TOKEN}/not a chat`, /a chat id is a number/],
    [`tgram://123456789/42`, /no bot token, or not one/],
    [`tgram://${TOKEN}/42?silent=yes`, /unknown option/],
    [`tgram://user:${SECRET}@host/42`, /the bot token is written/],
  ])('refuses %s, without quoting the token', (text, message) => {
    expect(() => tgram(text)).toThrow(message);
    expect(() => tgram(text)).not.toThrow(SECRET);
  });
});

describe('Telegram delivery', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('calls sendMessage with the chat and the plain text', async () => {
    receiver.answer({ status: 200, body: '{"ok":true,"result":{"message_id":1}}' });
    receiver.requests.length = 0;
    await tgram(`tgram://${TOKEN}/-1001234567890`, receiver.origin).send(
      downAlert(),
      AbortSignal.timeout(10_000),
    );
    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      chat_id: '-1001234567890',
      text:
        `runner-node is down\n\n${HOSTILE_REASON}\nno log entry for 12 minutes\n\n` +
        'runner-node: healthy → down at 2026-12-06T12:00:00.000Z',
      link_preview_options: { is_disabled: true },
    });
  });

  it('cuts a message to 4096 characters without splitting one', async () => {
    receiver.answer({ status: 200, body: '{"ok":true}' });
    receiver.requests.length = 0;
    await tgram(`tgram://${TOKEN}/42`, receiver.origin).send(
      downAlert({ text: '😀'.repeat(2100) }),
      AbortSignal.timeout(10_000),
    );
    const { text } = JSON.parse(receiver.requests[0]?.body ?? '');
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text.endsWith('😀…')).toBe(true);
  });

  it("Telegram's 429: the retry_after of its parameters", async () => {
    receiver.answer({
      status: 429,
      body: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}',
    });
    const error = await deliveryError(
      tgram(`tgram://${TOKEN}/42`, receiver.origin).send(downAlert(), AbortSignal.timeout(10_000)),
    );
    expect(error.retry).toBe(true);
    expect(error.retryAfterMs).toBe(5000);
    expect(error.message).toBe('answered 429 Too Many Requests: Too Many Requests: retry after 5');
  });
});

describeFailures({
  make: (origin) => tgram(`tgram://${TOKEN}/42`, origin),
  refused: {
    status: 400,
    body: '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
    words: 'answered 400 Bad Request: Bad Request: chat not found',
  },
  secret: SECRET,
});
