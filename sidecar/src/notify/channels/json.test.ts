// The JSON webhook against a real local HTTP receiver.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError, type Alert } from '../channel.ts';
import { jsonChannel } from './json.ts';

const ALERT: Alert = {
  id: 'a1b2c3',
  node: 'node-1',
  verdict: 'down',
  previous: 'healthy',
  at: '2026-01-01T00:00:00.000Z',
  reasons: [],
  title: 'node-1 is down',
  text: 'waiting for /logs',
};

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A receiver answering `status` with `body`; what it received. */
async function receiver(
  status: number,
  body = '',
  headers: Record<string, string> = {},
): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: text });
      res.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, received };
}

const send = (url: string) => jsonChannel(new URL(url)).send(ALERT, AbortSignal.timeout(5000));

async function failure(url: string): Promise<DeliveryError> {
  const error = await send(url).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('json:// webhook', () => {
  it('POSTs the alert as JSON with its id as the idempotency key, and basic auth from the URL', async () => {
    const { port, received } = await receiver(204);
    await send(`json://user:p%40ss@127.0.0.1:${port}/hooks/truwatch?x=1`);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r).toMatchObject({ method: 'POST', url: '/hooks/truwatch?x=1' });
    expect(JSON.parse(r!.body)).toEqual(ALERT);
    expect(r!.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'a1b2c3',
      'x-truwatch-alert-id': 'a1b2c3',
      authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    });
  });

  it('is labelled by its scheme and host only: no userinfo, no path', () => {
    expect(jsonChannel(new URL('jsons://user:secret@hooks.example:8443/token/abc')).label).toBe(
      'jsons://hooks.example:8443',
    );
    expect(jsonChannel(new URL('json://hooks.example/x')).kind).toBe('json');
  });

  it.each([408, 429, 500, 503])('%i is worth retrying', async (status) => {
    const { port } = await receiver(status, 'busy  right\nnow');
    const error = await failure(`json://127.0.0.1:${port}/`);
    expect(error.retry).toBe(true);
    expect(error.message).toBe(`127.0.0.1:${port} answered ${status}: busy right now`);
  });

  it.each([400, 401, 404])('%i fails for good, with a short excerpt of the body', async (status) => {
    const { port } = await receiver(status, 'x'.repeat(100_000));
    const error = await failure(`json://127.0.0.1:${port}/`);
    expect(error.retry).toBe(false);
    expect(error.message).toBe(`127.0.0.1:${port} answered ${status}: ${'x'.repeat(200)}`);
  });

  it('a redirect is not followed (the body and the credentials stay where the operator sent them)', async () => {
    const { port, received } = await receiver(302, '', { location: '/elsewhere' });
    const error = await failure(`json://user:pw@127.0.0.1:${port}/`);
    expect(error).toMatchObject({ retry: false, message: `127.0.0.1:${port} answered 302` });
    expect(received).toHaveLength(1);
  });

  it('a receiver that is down or does not answer in time is worth retrying', async () => {
    const { port } = await receiver(200);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const refused = await failure(`json://127.0.0.1:${port}/`);
    expect(refused).toMatchObject({ retry: true, message: `cannot reach 127.0.0.1:${port}: ECONNREFUSED` });

    server = createServer(() => {}); // never answers
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const silent = (server.address() as AddressInfo).port;
    const timedOut = await jsonChannel(new URL(`json://127.0.0.1:${silent}/`))
      .send(ALERT, AbortSignal.timeout(200))
      .catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ retry: true, message: `no answer from 127.0.0.1:${silent} in time` });
    server.closeAllConnections();
  });
});
