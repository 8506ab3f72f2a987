// Starts the real aggregator as a child process (as `npm run aggregator` runs it) for tests that kill it
// and for benchmarks that measure it, and reads its HTTP URL from what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stopProcess } from './stop-process.ts';

export interface AggregatorProcess {
  httpUrl: string;
  child: ChildProcess;
  /** Output so far. */
  log(): string;
  /** Resident memory now (VmRSS) and its peak (VmHWM), in MB, and CPU seconds used (user + system). */
  usage(): { rssMb: number; peakRssMb: number; cpuSeconds: number };
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const MAIN = new URL('../aggregator/src/main.ts', import.meta.url).pathname;

export async function startAggregatorProcess(env: Record<string, string>): Promise<AggregatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-50_000));
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aggregator did not start:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const m = /HTTP on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(m[1]!);
      }
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`aggregator exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    httpUrl,
    child,
    log: () => output,
    usage() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const ticks = Number(stat[11]) + Number(stat[12]);
      return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuSeconds: ticks / 100 };
    },
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}
