// Stopping the sidecar on SIGINT or SIGTERM: close it (source, monitor, HTTP server, open event streams), then
// exit 0. Closing takes milliseconds; if it has not finished by the deadline, something is stuck (a read the
// kernel never returns, as on a hung network mount) and the process ends anyway. process.exit cannot end it
// then: Node waits at exit for libuv's worker threads, and a stuck read holds one. So the signal is raised
// again with its default action, which ends the process at once (exit status 128 + the signal's number), or
// as PID 1 (a container's first process, which that does not end) by process.abort a second later.
// A second signal ends it the same way, at once.

/** How long closing may take before the process ends without waiting for it, in ms. */
export const STOP_DEADLINE_MS = 3000;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function stopOnSignals(
  close: () => Promise<void>,
  options: { deadlineMs?: number; log?: (line: string) => void } = {},
): void {
  const deadlineMs = options.deadlineMs ?? STOP_DEADLINE_MS;
  const log = options.log ?? ((line) => console.error(line));
  let stopping = false;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stopping) return endNow(signal);
      stopping = true;
      const deadline = setTimeout(() => {
        log(`truwatch: still stopping ${deadlineMs / 1000} s after ${signal}: ending without waiting`);
        endNow(signal);
      }, deadlineMs);
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          clearTimeout(deadline);
          log(`truwatch: stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

/** Ends the process by `signal`'s default action: no exit handlers, no waiting for worker threads. */
function endNow(signal: NodeJS.Signals): void {
  for (const s of SIGNALS) process.removeAllListeners(s);
  process.kill(process.pid, signal);
  // Still here a second later: the signal was ignored. A container's first process (PID 1, as in our image)
  // gets no signal it has no handler for, SIGKILL included, from inside its container; a fault still ends it.
  setTimeout(() => (process.pid === 1 ? process.abort() : process.kill(process.pid, 'SIGKILL')), 1000);
}
