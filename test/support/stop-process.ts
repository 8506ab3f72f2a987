// Stops a child process the tests or benchmarks started: the signal, then SIGKILL if it has not exited
// within 5 s; resolves once it has exited.
import type { ChildProcess } from 'node:child_process';

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
