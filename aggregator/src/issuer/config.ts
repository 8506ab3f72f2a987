// The issuer's settings, from the environment (npm run issuer; docs/TRUST.md).
import { resolve } from 'node:path';
import * as v from 'valibot';
import { StartError } from '../start-error.ts';

export type IssuerPolicy = 'invites' | 'open' | 'dev';

export interface IssuerConfig {
  /** ISSUER_HTTP_PORT: 0 picks a free one. */
  httpPort: number;
  httpHost: string;
  /** ISSUER_DATA_DIR: keys/, invites.json, allowances.json. */
  dataDir: string;
  policy: IssuerPolicy;
  /** ISSUER_NAME: the issuer_name of every token's challenge (its host name), the same in the app. */
  issuerName: string;
  /** Presence tokens per subject and week. */
  presenceTokensPerWeek: number;
  taskTokensPerWeek: number;
  /** Subjects remembered per week: past it, new subjects are refused. */
  maxSubjects: number;
  /** Tokens one key signs at most (the aggregator's spent-token bucket of its week is sized for it). */
  tokensPerKey: number;
  /** The open policy's proof of work: leading zero bits of its SHA-256 (2^bits hashes on average). */
  powBits: number;
}

const count = (fallback: number) =>
  v.optional(
    v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number ≥ 0'), v.transform(Number)),
    String(fallback),
  );

const Env = v.object({
  ISSUER_HTTP_PORT: count(8081),
  ISSUER_HTTP_HOST: v.optional(v.string(), '127.0.0.1'),
  ISSUER_DATA_DIR: v.optional(v.string(), 'issuer-data'),
  ISSUER_POLICY: v.optional(
    v.picklist(['invites', 'open', 'dev'], 'must be invites, open or dev'),
    'invites',
  ),
  ISSUER_NAME: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  TASK_TOKENS_PER_WEEK: count(14_000),
  MAX_SUBJECTS: count(100_000),
  TOKENS_PER_KEY: count(5_000_000),
  POW_BITS: v.pipe(count(18), v.maxValue(32, 'must be at most 32')),
});

export function readDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ISSUER_DATA_DIR || 'issuer-data');
}

export function readIssuerConfig(env: NodeJS.ProcessEnv = process.env): IssuerConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = v.safeParse(Env, set);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new StartError(`${v.getDotPath(issue) ?? 'the environment'} ${issue.message}`);
  }
  const e = parsed.output;
  if (e.ISSUER_POLICY !== 'dev' && !e.ISSUER_NAME)
    throw new StartError('ISSUER_NAME is required (the host name clients reach the issuer by)');
  return {
    httpPort: e.ISSUER_HTTP_PORT,
    httpHost: e.ISSUER_HTTP_HOST,
    dataDir: readDataDir(env),
    policy: e.ISSUER_POLICY,
    issuerName: e.ISSUER_NAME ?? 'localhost',
    presenceTokensPerWeek: 14,
    taskTokensPerWeek: e.TASK_TOKENS_PER_WEEK,
    maxSubjects: e.MAX_SUBJECTS,
    tokensPerKey: e.TOKENS_PER_KEY,
    powBits: e.POW_BITS,
  };
}
