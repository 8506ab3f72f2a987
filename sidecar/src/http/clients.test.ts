// Clients that try to starve, exhaust or lock out the sidecar, against the real sidecar over real sockets:
// event streams whose clients never read, a token holder taking every slot, wrong task-data passwords before
// the right one, wrong tokens from rotating loopback addresses, and what /api/health tells without a token.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../../test/support/memory-source.ts';
import { poll } from '../../../test/support/poll.ts';
import { openEvents, type SseEvent } from '../../../test/support/sse-client.ts';
import type { Config } from '../config.ts';
import { startSidecar, type Sidecar } from '../server.ts';
import { MAX_EVENT_STREAMS } from './app.ts';

const H = '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0';
/** Long lines: a client that reads nothing fills its socket's buffers with a small part of the backfill. */
const LINES = 3000;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${H} line ${from + i} ${'x'.repeat(2000)}`);
const STALL_MS = 2000;

function config(dataDir: string, source: Config['source'] = { kind: 'replay', speed: 1 }): Config {
  return {
    source,
    host: '127.0.0.1',
    port: 0,
    dataDir,
    allowedOrigins: [],
    allowedHosts: [],
    staticDir: join(dataDir, 'no-build'),
  };
}

/**
 * Sends GET /api/events with the token and never reads a byte of the answer; resolves when the answer has
 * begun (it holds a slot then). Node takes bytes from the kernel only until its own small buffer is full.
 */
function stalledClient(sidecar: Sidecar): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: sidecar.port }, () => {
      socket.write(
        `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${sidecar.port}\r\n` +
          `Authorization: Bearer ${sidecar.apiKey}\r\n\r\n`,
      );
      socket.once('readable', () => resolve(socket));
    });
    socket.on('error', () => {}); // the sidecar resets it when it drops the stream
    socket.once('error', reject);
  });
}

/** Counts entries until `count` arrived, reading on (the stream stays open). */
async function entries(events: AsyncGenerator<SseEvent>, count: number): Promise<number> {
  let n = 0;
  while (n < count) {
    const next = await events.next();
    if (next.done) break;
    if (next.value.event === 'batch')
      n += (JSON.parse(next.value.data) as { entries: unknown[] }).entries.length;
    else if (next.value.event === 'entry') n++;
  }
  return n;
}

/** GET with an optional bearer token, from a given loopback address: the answer's status. */
function get(sidecar: Sidecar, path: string, headers: Record<string, string>, localAddress?: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      `${sidecar.url}${path}`,
      { headers, ...(localAddress && { localAddress }), agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Streams {
  open: number;
  max: number;
  dropped: { stalled: number; evicted: number };
}

describe('clients that try to starve or lock out the sidecar', () => {
  let dir: string;
  let source: MemorySource;
  let sidecar: Sidecar;
  const auth = () => ({ authorization: `Bearer ${sidecar.apiKey}` });
  const streams = async () =>
    ((await (await fetch(`${sidecar.url}/api/status`, { headers: auth() })).json()) as { streams: Streams })
      .streams;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'truwatch-clients-'));
    source = new MemorySource(lines(0, LINES));
    sidecar = await startSidecar(config(dir), { source, quietMs: 20, streamStallMs: STALL_MS });
  });
  afterAll(async () => {
    await sidecar.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops event streams whose clients stop reading, and the app gets in while every slot is held', async () => {
    const stalled = await Promise.all(
      Array.from({ length: MAX_EVENT_STREAMS }, () => stalledClient(sidecar)),
    );

    const controller = new AbortController();
    const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
    expect(await entries(events, LINES)).toBe(LINES);
    // Every client that does not read is dropped (evicted for the app, or stalled for STALL_MS): only the app
    // is left, and it still gets what comes next.
    const after = await poll('the stalled clients dropped', streams, (s) => s.open === 1, 60_000);
    expect(after.dropped.stalled + after.dropped.evicted).toBe(MAX_EVENT_STREAMS);
    expect(after.dropped.stalled).toBeGreaterThan(0);
    source.append(...lines(LINES, LINES + 2));
    expect(await entries(events, 2)).toBe(2);
    controller.abort();
    for (const socket of stalled) socket.destroy();
  }, 120_000);

  it('lets the app in when a token holder keeps every slot busy reading', async () => {
    const holders = Array.from({ length: MAX_EVENT_STREAMS }, () => new AbortController());
    const held = await Promise.all(
      holders.map((c) => openEvents(sidecar.url, sidecar.apiKey, { signal: c.signal })),
    );
    // They read on: none of them stalls. How each one's reading ended, for a failure to tell.
    const ended: string[] = [];
    const reading = held.map(async (events, i) => {
      try {
        for await (const _ of events);
        ended.push(`holder ${i}: the stream ended`);
      } catch (error) {
        ended.push(`holder ${i}: ${String(error)}`); // the evicted one ends with a reset
      }
    });
    // The status with how the holders' streams ended so far (none should have before the app comes).
    const slots = async () => ({ ...(await streams()), ended: [...ended] });
    await poll('every slot taken', slots, (s) => s.open === MAX_EVENT_STREAMS, 30_000);
    const before = (await streams()).dropped.evicted;
    const controller = new AbortController();
    const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
    expect(await entries(events, LINES)).toBeGreaterThanOrEqual(LINES);
    const now = await streams();
    expect(now.open).toBe(MAX_EVENT_STREAMS);
    expect(now.dropped.evicted).toBe(before + 1);
    controller.abort();
    for (const c of holders) c.abort();
    await Promise.allSettled(reading);
  }, 120_000);

  it('serves task data to the right password after wrong ones, which get 429 past the limit', async () => {
    const id = 'e-1';
    source.append(
      `${H} Message received from task_created: {"executionId":"${id}","input":"secret input"}`,
      `${H} Using slot 1/4`,
    );
    await expect.poll(() => sidecar.monitor.io.get(id), { timeout: 30_000 }).toBeDefined();
    const url = `/api/tasks/${id}/io`;
    const wrong = [];
    for (let i = 0; i < 8; i++)
      wrong.push(await get(sidecar, url, { ...auth(), 'x-task-data-password': `wrong-${i}-0123456789` }));
    expect(wrong.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(wrong.slice(5)).toEqual([429, 429, 429]);
    expect(await get(sidecar, url, { ...auth(), 'x-task-data-password': sidecar.taskDataPassword })).toBe(
      200,
    );
  });

  it('answers 429 to a flood of wrong tokens from rotating loopback addresses, and lets the right token in', async () => {
    const statuses: number[] = [];
    // Two tries from each address, well under the per-address limit: only the total can stop them.
    for (let i = 0; i < 240; i++) {
      const address = `127.0.${1 + (i % 120)}.${2 + Math.floor(i / 120)}`;
      statuses.push(await get(sidecar, '/api/status', { authorization: `Bearer wrong-${i}` }, address));
    }
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
    expect(await get(sidecar, '/api/status', auth(), '127.0.1.2')).toBe(200);
    expect(await get(sidecar, '/api/status', auth(), '127.0.99.99')).toBe(200);
    expect(await get(sidecar, '/api/status', { authorization: 'Bearer wrong' }, '127.0.99.99')).toBe(429);
  });
});

describe('/api/health without a token', () => {
  it('says up or down and nothing about the host; the details need the token (/api/status)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'truwatch-health-'));
    const logs = join(dir, 'runner-logs-on-this-host');
    mkdirSync(logs);
    const sidecar = await startSidecar(config(join(dir, 'data'), { kind: 'file', dir: logs }));
    try {
      const health = await fetch(`${sidecar.url}/api/health`);
      expect(health.status).toBe(200);
      const text = await health.text();
      expect(JSON.parse(text)).toEqual({ status: 'ok' });
      expect(text).not.toContain('runner-logs-on-this-host');
      const status = await fetch(`${sidecar.url}/api/status`, {
        headers: { authorization: `Bearer ${sidecar.apiKey}` },
      });
      expect(await status.json()).toMatchObject({
        version: expect.any(String),
        uptimeSeconds: expect.any(Number),
        source: { kind: 'file', description: expect.stringContaining('runner-logs-on-this-host') },
      });
    } finally {
      await sidecar.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
