// Starts the real aggregator as a child process (as `npm run aggregator` runs it) for tests that kill it
// and for benchmarks that measure it, and reads its HTTP URL from what it prints.
import type { ChildProcess } from 'node:child_process';
import { processUsage, spawnServer, waitReady, type ProcessUsage } from './child-process.ts';
import { inspectorUrl, retainedHeapMb } from './retained-heap.ts';
import { stopProcess } from './stop-process.ts';

export interface AggregatorProcess {
  httpUrl: string;
  child: ChildProcess;
  /** Output so far. */
  log(): string;
  usage(): ProcessUsage;
  /** The heap it keeps after a full collection, in MB: only when started with `{ inspect: true }`. */
  retainedHeapMb(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const MAIN = new URL('../../aggregator/src/main.ts', import.meta.url).pathname;

export async function startAggregatorProcess(
  env: Record<string, string>,
  options: { inspect?: boolean } = {},
): Promise<AggregatorProcess> {
  const inspect = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawnServer(process.execPath, [...inspect, '--import', 'tsx', MAIN], {
    env: { ...process.env, HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = await waitReady(child, /HTTP on (http:\/\/\S+)/, 'aggregator', 60_000);
  return {
    httpUrl: started.match[1]!,
    child,
    log: started.log,
    usage: () => processUsage(child.pid!),
    retainedHeapMb: () => retainedHeapMb(inspectorUrl(started.log())),
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}
