// A unix-socket HTTP proxy in front of a Docker-compatible API socket that records every request line, so a
// test can assert what a client sent (the sidecar must send GET only) and which requests the client still holds
// open. Streams both ways with backpressure, so long-lived chunked responses (logs?follow, events) pass through
// as they come, and counts response bytes.
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { pipeline } from 'node:stream';

export interface RecordingProxy {
  /** Where clients connect. */
  readonly socketPath: string;
  /** Every request as "METHOD /path?query", in arrival order. */
  readonly methods: string[];
  /** The requests (as in `methods`) whose response is not closed yet: the client still reads or holds them. */
  readonly open: string[];
  /** Response body bytes forwarded to clients so far. */
  readonly bytesDown: number;
  close(): Promise<void>;
}

/** Starts a proxy listening on `socketPath` (default: `<targetSocket>.proxy-<n>`) that forwards to `targetSocket`. */
export async function startRecordingProxy(
  targetSocket: string,
  socketPath?: string,
): Promise<RecordingProxy> {
  const path = socketPath ?? `${targetSocket}.proxy-${process.pid}-${++proxies}`;
  const methods: string[] = [];
  const open = new Set<{ request: string }>();
  let bytesDown = 0;
  const server = http.createServer((req, res) => {
    const request = { request: `${req.method} ${req.url}` };
    methods.push(request.request);
    open.add(request);
    // Closed when the response ends, or when the client drops its connection before that.
    res.on('close', () => open.delete(request));
    const upstream = http.request({
      socketPath: targetSocket,
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
      res.flushHeaders();
      up.on('data', (chunk: Buffer) => (bytesDown += chunk.length));
      // pipeline destroys both sides when either fails: an upstream cut short is a cut-short response here too.
      pipeline(up, res, () => undefined);
    });
    // The target is down: drop the client's connection, as a dead socket would.
    upstream.on('error', () => req.socket.destroy());
    res.on('close', () => upstream.destroy());
    pipeline(req, upstream, () => undefined);
  });
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    socketPath: path,
    methods,
    get open() {
      return [...open].map((r) => r.request);
    },
    get bytesDown() {
      return bytesDown;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}

let proxies = 0;
