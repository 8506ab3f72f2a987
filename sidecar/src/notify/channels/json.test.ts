// The JSON webhook against a real local HTTP receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures } from '../../../../test/support/channel-failures.ts';
import { startReceiver, type HttpReceiver } from '../../../../test/support/http-receiver.ts';
import { downAlert } from '../../../../test/support/sample-alert.ts';
import { jsonChannel } from './json.ts';

const SECRET = 'hook-s3cr3t-t0k3n';
/** json:// at the receiver's host and port. */
const at = (origin: string, rest: string) => new URL(`json://${rest}${origin.slice('http://'.length)}`);

describe('json:// webhook', () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('POSTs the alert as JSON with its id as the idempotency key, and basic auth from the URL', async () => {
    receiver.answer({ status: 204 });
    const alert = downAlert();
    const url = at(receiver.origin, 'user:p%40ss@');
    url.pathname = '/hooks/truwatch';
    url.search = '?x=1';
    await jsonChannel(url).send(alert, AbortSignal.timeout(5000));
    const r = receiver.requests.at(-1)!;
    expect(r).toMatchObject({ method: 'POST', path: '/hooks/truwatch?x=1' });
    expect(JSON.parse(r.body)).toEqual(alert);
    expect(r.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': alert.id,
      'x-truwatch-alert-id': alert.id,
      authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    });
  });

  it('is labelled by its scheme and host only: no userinfo, no path', () => {
    expect(jsonChannel(new URL('jsons://user:secret@hooks.example:8443/token/abc')).label).toBe(
      'jsons://hooks.example:8443',
    );
    expect(jsonChannel(new URL('json://hooks.example/x')).kind).toBe('json');
  });

  it('needs a host', () => {
    expect(() => jsonChannel(new URL('json:///x'))).toThrow(/needs a host/);
  });
});

describeFailures({
  make: (origin) => {
    const url = at(origin, '');
    url.pathname = `/hooks/${SECRET}`;
    return jsonChannel(url);
  },
  refused: { status: 404, body: 'no such hook', words: 'no such hook' },
  secret: SECRET,
});
