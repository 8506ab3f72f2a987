// How the pages speak of the anonymous tokens (docs/TRUST.md): a sent message's token in plain words, when the
// stock is fetched next, the pinned keys, and what is wrong with the issuer fields the operator typed.
import * as v from 'valibot';
import { FederationConfigSchema } from '../../../../protocol/app-config.ts';
import type { TokenKind } from '../../../../protocol/private-token.ts';
import type { SentRecord } from './worker/federation-db.ts';

/** The token a message of `kind` carries: a task its own task token, heartbeats and activity reports their day's presence token. */
export function tokenKindOf(kind: SentRecord['kind']): TokenKind {
  return kind === 'task' ? 'task' : 'presence';
}

/** The token field of a sent message's text, or undefined when it carries none. */
export function tokenOf(json: string): string | undefined {
  try {
    const message: unknown = JSON.parse(json);
    if (typeof message !== 'object' || message === null) return undefined;
    const token = (message as Record<string, unknown>).token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** A sent message's token as the sent log names it: its kind and its last 8 characters; undefined for none. */
export function tokenTag(
  record: Pick<SentRecord, 'kind' | 'json'>,
): { kind: TokenKind; tail: string } | undefined {
  const token = tokenOf(record.json);
  return token === undefined ? undefined : { kind: tokenKindOf(record.kind), tail: token.slice(-8) };
}

/** A sent message's token in plain words: "task token …<its last 8 characters>", "presence token …", or "none". */
export function tokenLabel(record: Pick<SentRecord, 'kind' | 'json'>): string {
  const tag = tokenTag(record);
  return tag ? `${tag.kind} token …${tag.tail}` : 'none';
}

/** When something happens next, from `nowMs`: "now", "in 40 s", "in 12 min", "in 3 h 5 min", "in 2 d 4 h". */
export function formatIn(atMs: number, nowMs: number): string {
  const s = Math.ceil((atMs - nowMs) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `in ${h} h ${min % 60} min` : `in ${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `in ${d} d ${h % 24} h` : `in ${d} d`;
}

/**
 * A pinned key as the settings show it: its key id's first 8 hex digits, and its week when the pin names one
 * (`YYYY-MM-DD:<key id>`).
 */
export function shortPin(pin: string): string {
  const match = /^(?:(\d{4}-\d\d-\d\d):)?([0-9a-f]+)$/.exec(pin);
  if (!match) return `${pin.slice(0, 8)}…`;
  const [, week, id] = match;
  return week ? `${id!.slice(0, 8)}… (week of ${week})` : `${id!.slice(0, 8)}…`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The issuer URL's host name, or '' when it is not a URL. */
export function issuerHost(issuerUrl: string): string {
  return parseUrl(issuerUrl)?.hostname ?? '';
}

export interface IssuerFields {
  issuerUrl: string;
  issuerName: string;
  issuerInvite: string;
}

/** The hosts a page may fetch from over plain http: (the app's Content-Security-Policy, svelte.config.js). */
const PLAIN_HTTP_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1']);

/**
 * What is wrong with each issuer field, in words for the operator; a field not named is fine. Each may be
 * empty: no issuer (messages then carry no token), the URL's host name, no invite. Otherwise each must be
 * what the deployment's config.json accepts, and the URL one the app may reach: https:, or http: on this machine.
 */
export function issuerProblems(fields: IssuerFields): Partial<Record<keyof IssuerFields, string>> {
  const problems: Partial<Record<keyof IssuerFields, string>> = {};
  const entries = FederationConfigSchema.entries;
  const { issuerUrl, issuerName, issuerInvite } = fields;
  if (issuerUrl) {
    const url = parseUrl(issuerUrl);
    if (!url || !v.is(entries.issuerUrl, issuerUrl) || !url.hostname)
      problems.issuerUrl =
        'The issuer URL must be an http:// or https:// address, such as https://issuer.example.org.';
    else if (url.protocol === 'http:' && !PLAIN_HTTP_HOSTS.has(url.hostname))
      problems.issuerUrl =
        'Use https:// for an issuer on another machine: the app reaches plain http:// only on this one (localhost, 127.0.0.1).';
  }
  if (issuerInvite && !v.is(entries.issuerInvite, issuerInvite))
    problems.issuerInvite =
      "An invite code is 1 to 100 letters, digits, '-' or '_': paste it exactly as the federation's host gave it.";
  if (issuerName && !v.is(entries.issuerName, issuerName))
    problems.issuerName = 'The issuer name is at most 200 characters.';
  return problems;
}
