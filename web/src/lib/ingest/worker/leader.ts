// One ingesting tab at a time: an exclusive Web Lock held while the ingest runs. Other tabs wait in the lock's
// queue; when the holder's tab (or worker) goes away the browser releases its lock and the next one takes over.

/** What this module needs of the Web Locks API (`navigator.locks`); a test can pass its own. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive' | 'shared'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/** The browser's lock manager, when there is one (not in Node, and not outside a secure context). */
export function browserLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}

/**
 * Runs `fn` once this context holds the exclusive lock `name`, and holds it until `fn` settles.
 * Resolves without running `fn` when `signal` aborts while waiting. Without a lock manager (`null`: an insecure
 * context has no `navigator.locks`) `fn` runs at once: every tab then ingests, which stays correct (entries are stored by id), only wasteful.
 * `fn` gets `signal` (or a signal that never aborts) and should stop when it aborts.
 */
export async function runWhenLeader(
  name: string,
  fn: (signal: AbortSignal) => Promise<void>,
  locks: LockManagerLike | null = browserLocks(),
  signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  if (signal.aborted) return;
  if (!locks) return fn(signal);
  try {
    await locks.request(name, { mode: 'exclusive', signal }, async () => {
      if (!signal.aborted) await fn(signal);
    });
  } catch (error) {
    // Aborted while waiting in the queue: not an error, just never leader.
    if (signal.aborted && isAbort(error, signal)) return;
    throw error;
  }
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return error === signal.reason || (error instanceof Error && error.name === 'AbortError');
}
