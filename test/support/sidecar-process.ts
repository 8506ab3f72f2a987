// Starts the real sidecar as a child process (its bundle, run as npm start runs it) for benchmarks and
// end-to-end tests, and reads its URL from what it prints.
import { execFile, type ChildProcess } from 'node:child_process';
import { processUsage, spawnServer, waitReady } from './child-process.ts';
import { buildSidecar, SIDECAR_NODE_FLAGS } from '../../scripts/build-sidecar.ts';
import { stopProcess } from './stop-process.ts';

export interface SidecarProcess {
  url: string;
  apiKey: string;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const TEST_API_KEY = 'truwatch-test-key-0123456789';

export async function startSidecarProcess(
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<SidecarProcess> {
  const root = new URL('../..', import.meta.url).pathname;
  const apiKey = env.API_KEY ?? TEST_API_KEY;
  const bundle = await buildSidecar();
  const child = spawnServer(process.execPath, [...SIDECAR_NODE_FLAGS, bundle], {
    cwd: options.cwd ?? root,
    env: { ...process.env, PORT: '0', API_KEY: apiKey, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = await waitReady(
    child,
    /listening on (http:\/\/\S+)/,
    'sidecar',
    options.timeoutMs ?? 20_000,
  );
  return {
    url: started.match[1]!,
    apiKey,
    child,
    output: started.log,
    peakRssMb: () => processUsage(child.pid!).peakRssMb,
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}

/** Runs the sidecar's command line (its bundle) with `args` and `env` to its end: its exit code and output. */
export async function runSidecarCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bundle = await buildSidecar();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...SIDECAR_NODE_FLAGS, bundle, ...args],
      { env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}
