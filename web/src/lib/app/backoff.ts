// How long the app's reconnecting loops wait (the sidecar stream, the federation and the network page's NATS
// connections): initial·2^attempt up to `maxMs`, each between half and all of it, so a crowd of clients that
// lost the same server spreads out instead of coming back at once.
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() / 2));
}
