// Helpers for the servers that tests and benchmarks start as child processes (sidecar, aggregator, nats-server):
// start one tied to this process, wait for the line that says it is ready, keep the end of its output for failure messages, read its memory
// and CPU from /proc.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const KEPT_OUTPUT = 50_000;

/**
 * Spawns a server that is killed when the process that started it dies (setpriv --pdeathsig, which then execs
 * it: the child's PID is the server's): a test run killed hard leaves no server behind holding ports and files.
 */
export function spawnServer(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options);
}

export interface ReadyChild {
  /** The first match of the ready pattern. */
  match: RegExpExecArray;
  /** The last 50 000 characters the child printed (stdout and stderr). */
  log(): string;
}

/** Resolves when the child prints something matching `ready`; rejects if it exits or times out first. */
export function waitReady(
  child: ChildProcess,
  ready: RegExp,
  name: string,
  timeoutMs: number,
): Promise<ReadyChild> {
  let output = '';
  const log = () => output;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start:\n${output}`)), timeoutMs);
    const onExit = (code: number | null) => fail(new Error(`${name} exited with ${code}:\n${output}`));
    let waiting = true;
    const fail = (error: Error) => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(timer);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-KEPT_OUTPUT);
      const match = waiting ? ready.exec(output) : null;
      if (!match) return;
      waiting = false;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ match, log });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface ProcessUsage {
  /** Resident memory now (VmRSS) and its peak (VmHWM), in MB. */
  rssMb: number;
  peakRssMb: number;
  /** CPU time used, user + system, in seconds. */
  cpuSeconds: number;
}

export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuSeconds: ticks / 100 };
}
