// How many tokens each subject may still have: per subject, per key week and per kind (docs/TRUST.md, "How
// much one admitted node can inflate"), and in all per key. Kept in one file of the data dir, written whole
// before a token is signed. Bounded: a full store refuses new subjects rather than forget what was spent.
import * as v from 'valibot';
import type { TokenKind } from '../../../protocol/private-token.ts';
import { readJson, writeJson } from './json-file.ts';

export interface AllowanceLimits {
  /** Tokens of each kind one subject gets per week. */
  perWeek: Record<TokenKind, number>;
  /** Tokens signed in all under one key (the aggregator's spent-token bucket is sized for it). */
  perKey: number;
  /** Subjects remembered for one week. */
  maxSubjects: number;
}

export type AllowanceRefusal = 'exhausted' | 'store_full' | 'key_full';

const Counts = v.object({ presence: v.number(), task: v.number() });
const Week = v.object({ total: Counts, spent: v.record(v.string(), Counts) });
/** Keyed by the week's start in ms. */
const Store = v.record(v.string(), Week);
type Week = v.InferOutput<typeof Week>;

export class Allowances {
  private readonly weeks: Record<string, Week>;

  constructor(
    private readonly file: string,
    private readonly limits: AllowanceLimits,
  ) {
    this.weeks = readJson(file, Store, {});
  }

  /** Takes `count` tokens of `kind` from `subject`'s allowance for the week starting at `week`. */
  take(subject: string, kind: TokenKind, week: number, count = 1): AllowanceRefusal | undefined {
    for (const start of Object.keys(this.weeks)) if (Number(start) < week) delete this.weeks[start];
    const entry = (this.weeks[week] ??= { total: { presence: 0, task: 0 }, spent: {} });
    const spent = entry.spent[subject];
    if (!spent && Object.keys(entry.spent).length >= this.limits.maxSubjects) return 'store_full';
    const counts = spent ?? { presence: 0, task: 0 };
    if (counts[kind] + count > this.limits.perWeek[kind]) return 'exhausted';
    if (entry.total[kind] + count > this.limits.perKey) return 'key_full';
    counts[kind] += count;
    entry.total[kind] += count;
    entry.spent[subject] = counts;
    writeJson(this.file, this.weeks);
    return undefined;
  }

  /** What `subject` has left of each kind for the week starting at `week`. */
  left(subject: string, week: number): Record<TokenKind, number> {
    const spent = this.weeks[week]?.spent[subject] ?? { presence: 0, task: 0 };
    return {
      presence: this.limits.perWeek.presence - spent.presence,
      task: this.limits.perWeek.task - spent.task,
    };
  }
}
