// Polling for tests and benchmarks: read something again and again until it is what we wait for. A read that
// throws counts as "not yet" (a server still starting, podman's log reader failing on a line still being
// written); the timeout's error says what was awaited, with the last value and the last error.

/** The interval between two reads, in ms. */
const INTERVAL_MS = 100;

/** Polls `read` until `done` holds of its value, and returns that value; fails after `timeoutMs`. */
export async function poll<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      const error = failure === undefined ? '' : `; last error: ${String(failure)}`;
      throw new Error(`timed out waiting for ${what}; last value: ${show(last)}${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
}

/** A value for an error message: JSON when it has one, cut to 1000 characters. */
function show(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // a cycle or a BigInt: its plain string below
  }
  return (text ?? String(value)).slice(0, 1000);
}
