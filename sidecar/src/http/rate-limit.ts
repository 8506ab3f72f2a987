// Counts failed attempts per client address in fixed windows; a client past the limit is refused until its
// window ends. The map is bounded: when full, the oldest entries are dropped first.

export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
    private readonly maxClients = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this client may try again, or 0 when it may now. */
  blockedFor(client: string): number {
    const entry = this.failures.get(client);
    if (!entry) return 0;
    const left = entry.windowStart + this.windowMs - this.now();
    if (left <= 0) {
      this.failures.delete(client);
      return 0;
    }
    return entry.count >= this.limit ? left : 0;
  }

  fail(client: string): void {
    const now = this.now();
    const entry = this.failures.get(client);
    if (entry && now - entry.windowStart < this.windowMs) {
      entry.count++;
      return;
    }
    this.failures.delete(client);
    this.failures.set(client, { count: 1, windowStart: now });
    while (this.failures.size > this.maxClients)
      this.failures.delete(this.failures.keys().next().value as string);
  }

  get size(): number {
    return this.failures.size;
  }
}

const EVERYONE = '*';

/**
 * Wrong guesses of one secret, limited per client address and in total: clients rotating addresses (all of
 * 127.0.0.0/8 reaches a sidecar on loopback, and the per-address map forgets its oldest entries when full)
 * cannot add up to more than the total limit. Callers check the right answer before asking, so a wrong guess,
 * from anyone, never keeps the right answer out.
 */
export class GuessLimiter {
  private readonly perClient: FailureLimiter;
  private readonly total: FailureLimiter;

  constructor(perClient: number, total: number, windowMs = 60_000, now: () => number = Date.now) {
    this.perClient = new FailureLimiter(perClient, windowMs, 1000, now);
    this.total = new FailureLimiter(total, windowMs, 1, now);
  }

  /** Milliseconds until this client's next wrong guess may be answered as such, or 0 now. */
  blockedFor(client: string): number {
    return Math.max(this.perClient.blockedFor(client), this.total.blockedFor(EVERYONE));
  }

  fail(client: string): void {
    this.perClient.fail(client);
    this.total.fail(EVERYONE);
  }
}
