import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryError, describeFailures } from '../../../../test/support/channel-failures.ts';
import { startReceiver, type HttpReceiver } from '../../../../test/support/http-receiver.ts';
import { downAlert, HOSTILE_REASON, recoveredAlert } from '../../../../test/support/sample-alert.ts';
import { fromUrl } from './ntfy.ts';

const TOKEN = 'tk_s3cr3tt0k3n';
const ntfy = (text: string) => fromUrl(new URL(text));
const hostOf = (origin: string) => new URL(origin).host;

describe('ntfy URLs', () => {
  it('reads the server, topic and credentials, and labels without a secret', () => {
    expect(ntfy('ntfy://ntfy.example.com/alerts?token=' + TOKEN).label).toBe('ntfy ntfy.example.com/alerts');
    expect(ntfy('ntfys://alice:pa55word@ntfy.example.com:8443/alerts').label).toBe(
      'ntfy ntfy.example.com:8443/alerts',
    );
    expect(ntfy(`ntfy://${TOKEN}@ntfy.example.com/alerts`).kind).toBe('ntfy');
    // Without credentials the topic is what keeps the messages private: not in the label.
    expect(ntfy('ntfys://ntfy.sh/my-s3cret-topic').label).toBe('ntfy ntfy.sh');
  });

  it.each([
    ['ntfy://ntfy.sh', /no topic/],
    ['ntfy://ntfy.sh/', /no topic/],
    ['ntfy://ntfy.sh/bad%20topic', /a topic is 1 to 64/],
    ['ntfy://ntfy.sh/alerts?priority=loud', /priority is min, low/],
    ['ntfy://ntfy.sh/alerts?tags=x', /unknown option "tags"/],
    ['json://ntfy.sh/alerts', /not an ntfy URL/],
  ])('refuses %s', (text, message) => {
    expect(() => ntfy(text)).toThrow(message);
  });

  it('never quotes a secret in an error', () => {
    for (const text of [
      `ntfy://alice:${TOKEN}@ntfy.sh/bad%20topic`,
      `ntfy://ntfy.sh/alerts?token=${TOKEN}&x=1`,
      `ntfy://${TOKEN}@ntfy.sh`,
    ]) {
      expect(() => ntfy(text)).toThrow();
      try {
        ntfy(text);
      } catch (e) {
        expect((e as Error).message).not.toContain(TOKEN);
        expect((e as Error).message).not.toContain('alice');
      }
    }
  });
});

describe('ntfy delivery', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('publishes in the JSON form, with the token, the title, the reasons, priority and tags', async () => {
    receiver.requests.length = 0;
    await ntfy(`ntfy://${hostOf(receiver.origin)}/alerts?token=${TOKEN}`).send(
      downAlert(),
      AbortSignal.timeout(10_000),
    );
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const body = JSON.parse(req?.body ?? '');
    expect(body).toEqual({
      topic: 'alerts',
      title: 'runner-node is down',
      message: `${HOSTILE_REASON}\nno log entry for 12 minutes\n\nrunner-node: healthy → down at 2026-12-06T12:00:00.000Z`,
      priority: 4,
      tags: ['rotating_light', 'down'],
    });
  });

  it('a recovery is low priority; basic auth from the user part; a path before the topic is kept', async () => {
    receiver.requests.length = 0;
    await ntfy(`ntfy://alice:pa%40ss@${hostOf(receiver.origin)}/ntfy/alerts`).send(
      recoveredAlert(),
      AbortSignal.timeout(10_000),
    );
    const [req] = receiver.requests;
    expect(req?.path).toBe('/ntfy/');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pa@ss').toString('base64')}`);
    const body = JSON.parse(req?.body ?? '');
    expect(body).toMatchObject({ topic: 'alerts', title: 'runner-node recovered', priority: 2 });
    expect(body.tags).toEqual(['white_check_mark', 'recovered']);
  });

  it('?priority= sets every alert priority; a long message is cut under ntfy limit', async () => {
    receiver.requests.length = 0;
    const long = 'é'.repeat(3000);
    await ntfy(`ntfy://${hostOf(receiver.origin)}/alerts?priority=max`).send(
      downAlert({ text: long }),
      AbortSignal.timeout(10_000),
    );
    const body = JSON.parse(receiver.requests[0]?.body ?? '');
    expect(body.priority).toBe(5);
    expect(Buffer.byteLength(body.message)).toBeLessThanOrEqual(4000);
    expect(body.message.endsWith('…')).toBe(true);
    expect(receiver.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('ntfys://', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('speaks TLS: a plain HTTP server gets no request; the unprotected topic is in no error', async () => {
    const error = await deliveryError(
      ntfy(`ntfys://${hostOf(receiver.origin)}/my-s3cret-topic`).send(
        downAlert(),
        AbortSignal.timeout(10_000),
      ),
    );
    expect(error.retry).toBe(true);
    expect(receiver.requests).toHaveLength(0);
    receiver.answer({ status: 404, body: 'no such topic: my-s3cret-topic' });
    const refused = await deliveryError(
      ntfy(`ntfy://${hostOf(receiver.origin)}/my-s3cret-topic`).send(
        downAlert(),
        AbortSignal.timeout(10_000),
      ),
    );
    expect(refused.message).toBe('answered 404 Not Found: no such topic: …');
  });
});

describeFailures({
  make: (origin) => ntfy(`ntfy://${hostOf(origin)}/alerts?token=${TOKEN}`),
  refused: {
    status: 401,
    headers: { 'content-type': 'application/json' },
    body: '{"code":40101,"http":401,"error":"unauthorized","link":"https://ntfy.sh/docs/publish/#authentication"}',
    words: 'answered 401 Unauthorized: unauthorized',
  },
  secret: TOKEN,
});
