// The signal that the monitor database changed: whoever writes (the monitor database's worker of any tab) says so
// on this channel after the transaction committed, and pages run their queries again. Pages listen without loading
// the database code.
export const CHANGES_CHANNEL = 'truwatch-changes';

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANGES_CHANNEL) : undefined;

/** Tells every page of every tab that the monitor database changed. */
export function announceChange(): void {
  channel?.postMessage('changed');
}
