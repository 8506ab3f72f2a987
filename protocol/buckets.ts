// Contract 2, part 2: the bucket ladders. Federation never carries an exact metric, only the label of
// the bucket it falls in. Each bucket holds [lower, upper): the lower bound in, the upper bound out.

/** The label of a value that was not reported (a failed task often has no metrics). */
export const UNKNOWN = 'unknown';

export interface Ladder<L extends string> {
  /** The labels from the smallest bucket to the largest, then `unknown`. */
  readonly labels: readonly (L | typeof UNKNOWN)[];
  /** The label of `value`; `unknown` when the value is missing or not a finite number ≥ 0. */
  label(value: number | undefined | null): L | typeof UNKNOWN;
}

/**
 * A ladder from its upper bounds: `bounds[i]` is where bucket `i` ends and bucket `i + 1` starts; the
 * last label has no upper bound. `labels.length` must be `bounds.length + 1`.
 */
function ladder<const L extends string>(bounds: readonly number[], labels: readonly L[]): Ladder<L> {
  if (labels.length !== bounds.length + 1) throw new Error('a ladder needs one label more than bounds');
  return {
    labels: [...labels, UNKNOWN],
    label(value) {
      if (value === undefined || value === null || !Number.isFinite(value) || value < 0) return UNKNOWN;
      const index = bounds.findIndex((bound) => value < bound);
      return labels[index === -1 ? labels.length - 1 : index] as L;
    },
  };
}

const SECOND = 1000;
const MIB = 1024 * 1024;

/** Wall-clock duration of an execution, in milliseconds. */
export const DURATION = ladder(
  [SECOND, 5 * SECOND, 30 * SECOND, 120 * SECOND, 600 * SECOND],
  ['<1s', '1-5s', '5-30s', '30s-2m', '2-10m', '10m+'],
);

/** Steps computed (the runner's "gas used"). */
export const STEPS = ladder(
  [1e6, 1e7, 1e8, 1e9, 1e10],
  ['<1M', '1M-10M', '10M-100M', '100M-1B', '1B-10B', '10B+'],
);

/** Peak memory of an execution, in bytes. */
export const MEMORY = ladder(
  [16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB],
  ['<16MiB', '16-64MiB', '64-256MiB', '256MiB-1GiB', '1GiB+'],
);

/** Slots in use on a node at heartbeat time. */
export const SLOTS = ladder([1, 2, 5, 9], ['0', '1', '2-4', '5-8', '9+']);

/** Tasks a node finished in the last 24 hours. */
export const TASKS_24H = ladder([1, 10, 100, 1000], ['0', '1-9', '10-99', '100-999', '1000+']);

export type DurationLabel = (typeof DURATION.labels)[number];
export type StepsLabel = (typeof STEPS.labels)[number];
export type MemoryLabel = (typeof MEMORY.labels)[number];
export type SlotsLabel = (typeof SLOTS.labels)[number];
export type Tasks24hLabel = (typeof TASKS_24H.labels)[number];
