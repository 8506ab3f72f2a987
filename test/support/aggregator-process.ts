// Starts the real aggregator as a child process (as `npm run aggregator` runs it) for tests that kill it
// and for benchmarks that measure it, and reads its HTTP URL from what it prints.
import type { ChildProcess } from 'node:child_process';
import { processUsage, spawnServer, waitReady, type ProcessUsage } from './child-process.ts';
import { stopProcess } from './stop-process.ts';

export interface AggregatorProcess {
  httpUrl: string;
  child: ChildProcess;
  /** Output so far. */
  log(): string;
  usage(): ProcessUsage;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const MAIN = new URL('../../aggregator/src/main.ts', import.meta.url).pathname;

export async function startAggregatorProcess(env: Record<string, string>): Promise<AggregatorProcess> {
  const child = spawnServer(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = await waitReady(child, /HTTP on (http:\/\/\S+)/, 'aggregator', 60_000);
  return {
    httpUrl: started.match[1]!,
    child,
    log: started.log,
    usage: () => processUsage(child.pid!),
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}
