// Starts Debian's Prometheus on a free port with a config of the test's, its storage in a temporary directory,
// and asks its HTTP API: for the tests of the sidecar's /metrics and the shipped scrape config and rules.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from './child-process.ts';
import { freePort } from './free-port.ts';
import { poll } from './poll.ts';
import { stopProcess } from './stop-process.ts';

export interface Prometheus {
  url: string;
  /** The directory its config is written in (put the files it names beside it). */
  dir: string;
  /** An instant query: its result vector, or the error Prometheus gives for the expression. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  close(): Promise<void>;
}

/** Starts Prometheus with `config` (YAML), after `files` (name → text) are written beside it. */
export async function startPrometheus(
  config: string,
  files: Record<string, string> = {},
): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-prometheus-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawnServer(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    await stopProcess(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await poll(
      'Prometheus ready',
      () => fetch(`${url}/-/ready`).then((r) => r.status),
      (s) => s === 200,
      30_000,
    );
  } catch (error) {
    await close();
    throw new Error(`${String(error)}\n${output}`, { cause: error });
  }
  return {
    url,
    dir,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: [] } };
      if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
      return body.data!.result;
    },
    close,
  };
}
