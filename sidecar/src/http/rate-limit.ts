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
