// A set of stream sequences kept as sorted [from, to] runs: the sequences one batch counts are mostly
// contiguous, so a window's `applied` list stays a few runs long.
export type Runs = [number, number][];

/**
 * The most runs kept. Runs are pruned below the consumer's settled ack floor (settled-floor.ts), so they stay few unless a message
 * stays unacknowledged for long (the floor then stalls while later batches add runs); beyond this the
 * oldest runs are dropped, so that a rollup stays under the bucket's value size, and only a message of
 * those runs redelivered after a crash could then be counted twice.
 */
export const MAX_RUNS = 1500;

export function hasSeq(runs: Runs, seq: number): boolean {
  return runs.some(([from, to]) => seq >= from && seq <= to);
}

/** The union of `runs` and `seqs`, sorted and merged, without the sequences at or below `floor`. */
export function addSeqs(runs: Runs, seqs: number[], floor: number): Runs {
  const all: Runs = [...runs, ...seqs.map((s): [number, number] => [s, s])]
    .map(([from, to]): [number, number] => [Math.max(from, floor + 1), to])
    .filter(([from, to]) => from <= to)
    .sort((a, b) => a[0] - b[0]);
  const merged: Runs = [];
  for (const run of all) {
    const last = merged.at(-1);
    if (last && run[0] <= last[1] + 1) last[1] = Math.max(last[1], run[1]);
    else merged.push([run[0], run[1]]);
  }
  return merged.slice(-MAX_RUNS);
}
