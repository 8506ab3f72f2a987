// A real HTTP server on 127.0.0.1 standing in for a notification service (ntfy, Discord, Slack, Telegram): it
// records every request (method, path, headers, body) and answers as the test says, or never answers.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from './free-port.ts';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpReceiver {
  origin: string;
  requests: ReceivedRequest[];
  /** What the next requests are answered (default 200, empty); `hang` never answers. */
  answer(answer: Answer | 'hang'): void;
  close(): Promise<void>;
}

/** A receiver on `port` (any free one by default). */
export async function startReceiver(port = 0): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let next: Answer | 'hang' = { status: 200 };
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (next === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(next.status, next.headers ?? {});
      res.end(next.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer: (a) => (next = a),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An origin nothing listens on: a connection to it is refused. */
export async function refusingOrigin(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
