// The real sidecar in the test process (no bundle, no child process), on a temporary data directory, with a
// known API token: for tests of the web app's ingest against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../sidecar/src/config.ts';
import { startSidecar, type Sidecar } from '../../sidecar/src/server.ts';
import type { LogSource } from '../../sidecar/src/sources/source.ts';

export const API_KEY = 'test-api-key-0123456789abcdef';
export const HEADER = '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0';

/** Runner lines that each make one entry. */
export const slotLines = (from: number, to: number, pad = 0): string[] =>
  Array.from({ length: to - from }, (_, i) => `${HEADER} Using slot ${(from + i) % 4}/4${' '.repeat(pad)}.`);

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-ingest-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sidecarConfig(
  dir: string,
  port = 0,
  source: Config['source'] = { kind: 'replay', speed: 1 },
) {
  return {
    source,
    host: '127.0.0.1',
    port,
    apiKey: API_KEY,
    dataDir: join(dir, 'data'),
    allowedOrigins: [],
    allowedHosts: [],
    staticDir: join(dir, 'none'),
  } satisfies Config;
}

export function start(dir: string, options: { port?: number; source?: LogSource } = {}): Promise<Sidecar> {
  return startSidecar(sidecarConfig(dir, options.port), {
    ...(options.source && { source: options.source }),
    quietMs: 20,
  });
}
