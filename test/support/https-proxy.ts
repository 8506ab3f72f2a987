// A TLS front for a local HTTP server (the sidecar as an operator puts it behind HTTPS on another machine): it
// forwards every request and streams every answer (SSE included), with a test certificate for localhost.
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeCertificate } from './test-certificate.ts';

export interface HttpsProxy {
  /** https://localhost:<port> */
  url: string;
  close(): Promise<void>;
}

export async function httpsProxy(target: string): Promise<HttpsProxy> {
  const certificate = makeCertificate();
  const to = new URL(target);
  const server = createServer(
    { cert: readFileSync(certificate.cert), key: readFileSync(certificate.key) },
    (incoming, outgoing) => {
      const forwarded = request(
        {
          host: to.hostname,
          port: to.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: to.host },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      outgoing.on('close', () => forwarded.destroy());
      incoming.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(certificate.dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
