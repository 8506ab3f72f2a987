// Starts the real sidecar as a child process (its bundle, run as npm start runs it) for benchmarks and
// end-to-end tests, and reads its URL from what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildSidecar, SIDECAR_NODE_FLAGS } from './build-sidecar.ts';
import { stopProcess } from './stop-process.ts';

export interface SidecarProcess {
  url: string;
  apiKey: string;
  child: ChildProcess;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const TEST_API_KEY = 'truwatch-test-key-0123456789';

export async function startSidecarProcess(
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<SidecarProcess> {
  const root = new URL('..', import.meta.url).pathname;
  const apiKey = env.API_KEY ?? TEST_API_KEY;
  const bundle = await buildSidecar();
  const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, bundle], {
    cwd: options.cwd ?? root,
    env: { ...process.env, PORT: '0', API_KEY: apiKey, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sidecar did not start:\n${output}`)),
      options.timeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sidecar exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    apiKey,
    child,
    peakRssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}
