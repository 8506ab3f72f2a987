// For the web app's ingest tests: fresh databases, hand-written event streams, recording fetches, an in-memory
// lock manager, waiting for conditions.
import type { Entry } from '../../protocol/node-events.ts';
import { openTruwatchDb } from '../../web/src/lib/db/open.ts';
import type { TruwatchDb } from '../../web/src/lib/db/schema.ts';
import type { IngestState } from '../../web/src/lib/ingest/state.ts';
import { IngestClient, type IngestOptions } from '../../web/src/lib/ingest/worker/client.ts';
import type { LockManagerLike } from '../../web/src/lib/ingest/worker/leader.ts';

export function freshDb(): Promise<TruwatchDb> {
  return openTruwatchDb(`ingest-${Math.random().toString(36).slice(2)}`);
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every state a client goes through. */
export function record(client: IngestClient): IngestState[] {
  const states: IngestState[] = [];
  client.subscribe((s) => states.push(s));
  return states;
}

/** A fetch that records its calls and passes them on (to the real fetch by default). */
export function recordingFetch(inner: typeof fetch = globalThis.fetch) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetchFn: typeof fetch = (input, init) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
    return inner(input, init);
  };
  return { calls, fetch: fetchFn };
}

/**
 * A fetch whose response body is read from the connection only when the client asks for a chunk (so `read`
 * counts what the client took, not what the transport buffered), and which `cut()` breaks at once, losing what
 * was in flight, as a crash or a network failure would.
 */
export function pullThroughFetch(inner: typeof fetch = globalThis.fetch) {
  const stats = { read: 0 };
  const live = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const fetchFn: typeof fetch = async (input, init) => {
    const response = await inner(input, init);
    if (!response.body) return response;
    const reader = response.body.getReader();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => void live.add((controller = c)),
        async pull(c) {
          const { done, value } = await reader.read();
          if (!live.has(controller)) return;
          if (done) {
            live.delete(controller);
            return c.close();
          }
          stats.read += value.byteLength;
          c.enqueue(value);
        },
        cancel: (reason) => {
          live.delete(controller);
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const cut = () => {
    for (const c of live) c.error(new TypeError('network error (cut by the test)'));
    live.clear();
  };
  return { fetch: fetchFn, stats, cut };
}

/** A hand-fed event stream: `send` enqueues one chunk, `end` closes it. */
export function handFedStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  const response = new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  return {
    fetch: (async () => response) as typeof fetch,
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

export function entry(n: number, extra: Partial<Entry> = {}): Entry {
  const id = `f.m.${String(n).padStart(8, '0')}`;
  return {
    id,
    ts: '2025-11-24T10:00:00.000Z',
    level: 'info',
    kind: 'message',
    message: `m${n}`,
    stream: 'stdout',
    ...extra,
  };
}

export const sse = (event: string, data: unknown, id?: string): string =>
  `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** An in-memory Web Locks double: exclusive locks only, granted in request order, abortable while waiting. */
export class MemoryLocks implements LockManagerLike {
  private held = new Set<string>();
  private queues = new Map<string, (() => void)[]>();

  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(signal.reason);
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.held.add(name);
        callback({ name, mode: 'exclusive' })
          .then(resolve, reject)
          .finally(() => {
            this.held.delete(name);
            this.queues.get(name)?.shift()?.();
          });
      };
      const onAbort = () => {
        const queue = this.queues.get(name) ?? [];
        if (queue.includes(grant)) queue.splice(queue.indexOf(grant), 1);
        reject(signal!.reason);
      };
      if (!this.held.has(name)) return grant();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queues.set(name, [...(this.queues.get(name) ?? []), grant]);
    });
  }
}

/**
 * Makes IngestClients with fast backoff and a fresh database, and stops every one it made: call `stopAll`
 * after each test.
 */
/** Makes clients on fresh databases (token `token` unless `defaults` say otherwise) and stops them all. */
export function clientMaker(defaults: Partial<IngestOptions> = {}) {
  const clients: IngestClient[] = [];
  return {
    make(options: Partial<IngestOptions>): IngestClient {
      const db = freshDb();
      const client = new IngestClient({
        token: 'token',
        db: () => db,
        backoff: { initialMs: 20, maxMs: 200 },
        ...defaults,
        ...options,
      } as IngestOptions);
      clients.push(client);
      return client;
    },
    stopAll: () => Promise.all(clients.splice(0).map((c) => c.stop())),
  };
}
