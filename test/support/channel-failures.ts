// The failures every HTTP notification channel must tell apart, against a real local receiver: no connection,
// no answer (the signal ends the wait), 5xx and 429 (worth trying again, with the wait asked for), a refused
// token or an unknown target (not worth it, in the receiver's words), and an error that must not quote a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type Channel } from '../../sidecar/src/notify/channel.ts';
import { refusingOrigin, startReceiver, type Answer, type HttpReceiver } from './http-receiver.ts';
import { downAlert } from './sample-alert.ts';

export interface FailureCases {
  /** The channel, talking to `origin`. */
  make(origin: string): Channel;
  /** The service's answer to a bad token or target, and the words of it the error must quote. */
  refused: Answer & { words: string };
  /** A secret of the channel's URL, which the receiver echoes in an error. */
  secret: string;
}

export async function deliveryError(promise: Promise<void>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

export function describeFailures(cases: FailureCases) {
  describe('failures', () => {
    let receiver: HttpReceiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(() => receiver.close());
    const send = (answer: Answer | 'hang', signal = AbortSignal.timeout(10_000)) => {
      receiver.answer(answer);
      return deliveryError(cases.make(receiver.origin).send(downAlert(), signal));
    };

    it('a receiver that is down: retry', async () => {
      const channel = cases.make(await refusingOrigin());
      const error = await deliveryError(channel.send(downAlert(), AbortSignal.timeout(10_000)));
      expect(error.retry).toBe(true);
      expect(error.message).toMatch(/could not connect: ECONNREFUSED/);
    });

    it('a receiver that never answers: the signal ends the wait, retry', async () => {
      const error = await send('hang', AbortSignal.timeout(300));
      expect(error.retry).toBe(true);
      expect(error.message).toBe('no answer in the time allowed');
    });

    it('500: retry, with what the receiver said', async () => {
      const error = await send({ status: 500, body: 'database is locked' });
      expect(error.retry).toBe(true);
      expect(error.message).toBe('answered 500 Internal Server Error: database is locked');
      expect(error.retryAfterMs).toBeUndefined();
    });

    it('429 with Retry-After: retry after the wait asked for', async () => {
      const error = await send({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
      expect(error.retry).toBe(true);
      expect(error.retryAfterMs).toBe(7000);
    });

    it('408: retry', async () => {
      expect((await send({ status: 408 })).retry).toBe(true);
    });

    it('a refused token or unknown target: no retry, in the receiver words', async () => {
      const error = await send(cases.refused);
      expect(error.retry).toBe(false);
      expect(error.message).toContain(cases.refused.words);
    });

    it('a redirect is not followed: no retry', async () => {
      const error = await send({ status: 301, headers: { location: 'https://elsewhere.example/' } });
      expect(error.retry).toBe(false);
      expect(error.message).toMatch(/redirect/);
    });

    it('an error answer is quoted bounded, on one line, without the secret', async () => {
      const body = `bad token ${cases.secret}\n${'x'.repeat(100_000)}`;
      const error = await send({ status: 400, body });
      expect(error.retry).toBe(false);
      expect(error.message).not.toContain(cases.secret);
      expect(error.message).not.toContain('\n');
      expect(error.message.length).toBeLessThanOrEqual(300);
    });
  });
}
