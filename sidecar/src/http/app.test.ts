import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import WebSocket from 'ws';
import { BatchSchema, EntrySchema, type Entry } from '../../../protocol/node-events.ts';
import { openEvents, type SseEvent } from '../../../test/support/sse-client.ts';
import type { Config } from '../config.ts';
import { startSidecar, type Sidecar } from '../server.ts';
import { MemorySource } from '../../../test/support/memory-source.ts';

const H = '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0';
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${H} Using slot ${(from + i) % 4}/4`);

function config(dataDir: string, allowedOrigins: string[] = []): Config {
  return {
    source: { kind: 'replay', speed: 1 },
    host: '127.0.0.1',
    port: 0,
    dataDir,
    allowedOrigins,
    allowedHosts: ['monitor.lan'],
    staticDir: join(dataDir, 'no-build'),
    app: { federation: { enabled: true } },
  };
}

/** Reads events until `count` entries arrived. */
async function collect(
  events: AsyncGenerator<SseEvent>,
  count: number,
): Promise<{ entries: Entry[]; kinds: string[] }> {
  const entries: Entry[] = [];
  const kinds: string[] = [];
  // Not for-await: breaking out of it would close the stream, and the test reads on.
  while (entries.length < count) {
    const next = await events.next();
    if (next.done) break;
    const e = next.value;
    kinds.push(e.event);
    if (e.event === 'batch') {
      const batch = v.parse(BatchSchema, JSON.parse(e.data));
      expect(e.id).toBe(batch.entries.at(-1)!.id);
      entries.push(...batch.entries);
    } else if (e.event === 'entry') entries.push(v.parse(EntrySchema, JSON.parse(e.data)));
  }
  return { entries, kinds };
}

describe('sidecar HTTP', () => {
  let dir: string;
  let source: MemorySource;
  let sidecar: Sidecar;
  const auth = () => ({ authorization: `Bearer ${sidecar.apiKey}` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'truwatch-http-'));
    source = new MemorySource(lines(0, 1200));
    sidecar = await startSidecar(config(dir, ['https://tru.watch']), { source, quietMs: 20 });
  });
  afterAll(async () => {
    await sidecar.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("generates the API key, the task-data password and the node's federation secret, readable by the owner only", () => {
    expect(sidecar.apiKeyCreated).toBe(true);
    expect(statSync(join(dir, 'api-key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'task-data-password')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'federation-secret')).mode & 0o777).toBe(0o600);
  });

  it('answers health without a token', async () => {
    const res = await fetch(`${sidecar.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses every other API route without the right token', async () => {
    for (const path of ['/api/status', '/api/events', '/api/tasks/x/io', '/api/nothing']) {
      expect((await fetch(`${sidecar.url}${path}`)).status, path).toBe(401);
      const wrong = await fetch(`${sidecar.url}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status, path).toBe(401);
    }
    for (const [method, path] of [
      ['GET', '/api/federation/identity'],
      ['POST', '/api/federation/identity/reset'],
    ] as const) {
      const response = await fetch(`${sidecar.url}${path}`, { method });
      expect(response.status, path).toBe(401);
      expect(await response.text(), path).not.toContain(
        readFileSync(join(dir, 'federation-secret'), 'utf8').trim(),
      );
    }
    expect((await fetch(`${sidecar.url}/api/status`, { headers: auth() })).status).toBe(200);
  });

  it("hands the node's secret in DATA_DIR/federation-secret to a paired browser, and makes a new one on reset", async () => {
    const stored = () => readFileSync(join(dir, 'federation-secret'), 'utf8').trim();
    const identity = await fetch(`${sidecar.url}/api/federation/identity`, { headers: auth() });
    expect(identity.headers.get('cache-control')).toBe('no-store');
    const before = (await identity.json()) as { secret: string; since: string };
    expect(before.secret).toBe(stored());
    const reset = await fetch(`${sidecar.url}/api/federation/identity/reset`, {
      method: 'POST',
      headers: auth(),
    });
    const after = (await reset.json()) as { secret: string; since: string };
    expect(after.secret).not.toBe(before.secret);
    expect(after.secret).toBe(stored());
  });

  it('serves config.json without a token, and the federation status with one', async () => {
    const config = await fetch(`${sidecar.url}/config.json`);
    expect(await config.json()).toEqual({ federation: { enabled: true } });
    expect((await fetch(`${sidecar.url}/api/federation/status`)).status).toBe(401);
    const status = await fetch(`${sidecar.url}/api/federation/status`, { headers: auth() });
    expect(await status.json()).toMatchObject({ enabled: true, connected: false, state: 'UNKNOWN' });
  });

  it('answers CORS and Private Network Access preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${sidecar.url}/api/events`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
          'access-control-request-private-network': 'true',
        },
      });
    const ok = await preflight('https://tru.watch');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://tru.watch');
    expect(ok.headers.get('access-control-allow-private-network')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/PUT/); // the federation status report
    const evil = await preflight('https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${sidecar.url}/api/status`, {
      headers: { ...auth(), origin: 'https://tru.watch' },
    });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://tru.watch');
    const other = await fetch(`${sidecar.url}/api/status`, {
      headers: { ...auth(), origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('streams the backfill in batches, then live entries one by one, and resumes after a cursor', async () => {
    const controller = new AbortController();
    const events = await openEvents(sidecar.url, sidecar.apiKey, { signal: controller.signal });
    const backfill = await collect(events, 1200);
    expect(backfill.kinds).toContain('batch');
    expect(backfill.entries.map((e) => e.message)).toEqual(lines(0, 1200).map((l) => l.slice(H.length + 1)));
    source.append(...lines(1200, 1203));
    const live = await collect(events, 3);
    expect(live.kinds.filter((k) => k === 'entry')).toHaveLength(3);
    controller.abort();

    // The client comes back with the last id it stored: that entry again (it may have grown), then the rest.
    const cursor = backfill.entries[999]!.id;
    const again = new AbortController();
    const resumed = await collect(
      await openEvents(sidecar.url, sidecar.apiKey, { after: cursor, signal: again.signal }),
      204,
    );
    again.abort();
    expect(resumed.entries.map((e) => e.id)).toEqual(
      [...backfill.entries.slice(999), ...live.entries].map((e) => e.id),
    );
  });

  it('answers only to loopback names and ALLOWED_HOSTS (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${sidecar.url}/api/health`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(`127.0.0.1:${sidecar.port}`)).toBe(200);
    expect(await status(`localhost:${sidecar.port}`)).toBe(200);
    expect(await status('monitor.lan:8090')).toBe(200);
    expect(await status('evil.example:8090')).toBe(421);
  });

  it('rejects a malformed cursor', async () => {
    const res = await fetch(`${sidecar.url}/api/events?after=${encodeURIComponent('bad cursor\n')}`, {
      headers: auth(),
    });
    expect(res.status).toBe(400);
  });

  it('serves task input only with the task-data password', async () => {
    const id = 'e-1';
    source.append(
      `${H} Message received from task_created: {"executionId":"${id}","input":"secret input"}`,
      `${H} Using slot 1/4`,
    );
    // The sidecar's monitor reads the source on its own: within expect.poll's default second, unless loaded.
    await expect.poll(() => sidecar.monitor.io.get(id), { timeout: 10_000 }).toBeDefined();
    const url = `${sidecar.url}/api/tasks/${id}/io`;
    expect((await fetch(url, { headers: auth() })).status).toBe(403);
    expect(
      (await fetch(url, { headers: { ...auth(), 'x-task-data-password': 'wrong-wrong-wrong' } })).status,
    ).toBe(403);
    const res = await fetch(url, {
      headers: { ...auth(), 'x-task-data-password': sidecar.taskDataPassword },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ executionId: id, input: 'secret input' });
  });

  it('reports node status for curl users', async () => {
    const res = await fetch(`${sidecar.url}/api/status`, { headers: auth() });
    const status = (await res.json()) as { counts: { entries: number } };
    expect(status).toMatchObject({
      runner: { version: '2.0.0' },
      slots: { total: 4 },
      counts: { tasks: { received: 1 } },
    });
    expect(status.counts.entries).toBeGreaterThanOrEqual(1203);
  });

  it('answers /ws, where the original monitor had a WebSocket, with a JSON error naming /api/events', async () => {
    const res = await fetch(`${sidecar.url}/ws`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /Server-Sent Events at GET \/api\/events/,
    );
    // A real WebSocket client hears the same answer instead of the app's page.
    const client = new WebSocket(`${sidecar.url.replace('http', 'ws')}/ws`);
    const error = await new Promise<Error>((resolve) => client.on('error', resolve));
    expect(error.message).toBe('Unexpected server response: 404');
  });

  it('serves a page saying how to build the PWA when it is not built', async () => {
    const res = await fetch(`${sidecar.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build');
  });

  it('rate-limits wrong tokens, never the right one, and requests without a token do not count', async () => {
    const status = async (headers: Record<string, string>) =>
      (await fetch(`${sidecar.url}/api/status`, { headers })).status;
    for (let i = 0; i < 20; i++) expect(await status({})).toBe(401);
    expect(await status(auth())).toBe(200);
    let last = 0;
    for (let i = 0; i < 12; i++) last = await status({ authorization: 'Bearer x' });
    expect(last).toBe(429);
    expect(await status(auth())).toBe(200);
  });
});
