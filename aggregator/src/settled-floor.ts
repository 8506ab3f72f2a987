// The consumer's ack floor as it was a while ago. A nats-server killed mid-stream comes back with the consumer
// state it last wrote, which can be some seconds older than what it reported: acknowledgements it confirmed
// are lost and their messages are delivered again. What the aggregator decides by the ack floor (pruning a
// window's `applied` sequences, deleting crash leftovers) uses the floor of `settleMs` ago, so a message
// delivered again still finds its sequence in `applied` and is not counted twice.
export class SettledFloor {
  #samples: { atMs: number; floor: number }[] = [];
  #settled = 0;

  constructor(private readonly settleMs: number) {}

  /** Records the floor read at `nowMs` (about once a second; the oldest samples beyond 1000 are dropped). */
  observe(floor: number, nowMs: number): void {
    this.#samples.push({ atMs: nowMs, floor });
    while (this.#samples.length && this.#samples[0]!.atMs <= nowMs - this.settleMs)
      this.#settled = Math.max(this.#settled, this.#samples.shift()!.floor);
    if (this.#samples.length > 1000) this.#samples.splice(0, this.#samples.length - 1000);
  }

  /** The highest floor read at least `settleMs` ago (0 before then). */
  get value(): number {
    return this.#settled;
  }
}
