// The last gate before anything leaves: a message is published only if it validates against the strict
// schema the aggregator uses, fits the size cap, and none of its free-form strings looks like an address, a
// key, a UUID, a hash, an IP, an e-mail or a long number, or contains a value of the local record it came
// from. Bucket labels, enums and booleans come from fixed lists (the schema checks that), so they are free.
import * as v from 'valibot';
import { MAX_INGEST_BYTES } from '../../../../../protocol/federation.ts';
import { decodeTokenText } from '../../../../../protocol/private-token.ts';

export type Guarded<T> = { ok: true; message: T; json: string } | { ok: false; reason: string };

/** What a string must not look like, with the name a refusal gives. */
const SHAPES: readonly [string, RegExp][] = [
  ['a 0x address or hash', /0x[0-9a-f]{4,}/i],
  ['a hex key or hash', /[0-9a-f]{16,}/i],
  ['a UUID', /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i],
  ['a base58/base64 key or content id', /[A-Za-z0-9+/_=-]{24,}/],
  ['an IPv4 address', /(?:\d{1,3}\.){3}\d{1,3}/],
  ['an IPv6 address', /(?:[0-9a-f]{1,4}:){3,}[0-9a-f]{0,4}|::/i],
  ['an e-mail address', /[^\s@]+@[^\s@]+/],
  ['a long number', /\d{6,}/],
];

/** Fields whose value is an HMAC output: 32 hex digits on purpose (still checked against local values). */
const HMAC_FIELDS: ReadonlySet<string> = new Set(['key', 'node']);
/** The chain id is digits by contract, and is one of the values the message may share. */
const CHAIN_FIELD = 'chain';
/** The anonymous token: random to everyone but its issuer's signature, added only by withToken(), which checks it. */
const TOKEN_FIELD = 'token';
/** Shorter local values are too common to identify anything (and would collide with dates and labels). */
const MIN_LOCAL_LENGTH = 5;

/** Every string and number in a local record, as text, recursively (bounded). */
export function localValues(record: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (out.size > 5000 || depth > 6) return out;
  if (typeof record === 'string' && record.length >= MIN_LOCAL_LENGTH) out.add(record.toLowerCase());
  else if (typeof record === 'number' && Number.isFinite(record)) {
    const text = String(record);
    if (text.length >= MIN_LOCAL_LENGTH) out.add(text);
  } else if (typeof record === 'object' && record !== null)
    for (const value of Object.values(record)) localValues(value, out, depth + 1);
  return out;
}

type Entries = Record<string, { type: string; wrapped?: { type: string } }>;

/** Fields whose values come from a fixed list (picklists, literals): they can only carry allowed labels. */
function fixedFields(schema: unknown): ReadonlySet<string> {
  const entries = (schema as { entries?: Entries }).entries ?? {};
  const fixed = new Set<string>();
  for (const [field, s] of Object.entries(entries)) {
    const inner = s.type === 'optional' && s.wrapped ? s.wrapped : s;
    if (inner.type === 'picklist' || inner.type === 'literal') fixed.add(field);
  }
  return fixed;
}

function refusal(
  message: Record<string, unknown>,
  fixed: ReadonlySet<string>,
  locals: ReadonlySet<string>,
): string | undefined {
  for (const [field, value] of Object.entries(message)) {
    if (typeof value !== 'string') continue;
    if (field === TOKEN_FIELD) return 'a token is added only once the message passed the guard';
    const lower = value.toLowerCase();
    if (!HMAC_FIELDS.has(field))
      for (const [shape, pattern] of SHAPES) {
        if (field === CHAIN_FIELD && shape === 'a long number') continue;
        if (pattern.test(value)) return `${field} looks like ${shape}`;
      }
    if (field === CHAIN_FIELD || fixed.has(field)) continue;
    for (const local of locals)
      if (lower.includes(local)) return `${field} holds a value of the local record`;
  }
  return undefined;
}

/** Validates `candidate` against `schema` and the rules above; `local` is the record it was built from. */
export function guard<T extends Record<string, unknown>>(
  schema: v.GenericSchema<unknown, T>,
  candidate: unknown,
  local: unknown,
): Guarded<T> {
  const parsed = v.safeParse(schema, candidate);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    return { ok: false, reason: `schema: ${path ? path + ': ' : ''}${issue.message}` };
  }
  const why = refusal(parsed.output, fixedFields(schema), localValues(local));
  if (why) return { ok: false, reason: why };
  const json = JSON.stringify(parsed.output);
  if (new TextEncoder().encode(json).length > MAX_INGEST_BYTES) return { ok: false, reason: 'too large' };
  return { ok: true, message: parsed.output, json };
}

/**
 * `json` (a message guard() let through, under `schema`) with `token` in its token field: the one field the
 * shape rules do not apply to, so it is checked to be what it claims, a Privacy Pass token of type 0x0002 under
 * the key it was fetched under (whose parameters and pin the issuer client checked), and the rest of the message
 * is kept as it was.
 */
export function withToken<T extends Record<string, unknown>>(
  schema: v.GenericSchema<unknown, T>,
  json: string,
  token: { token: string; keyId: string },
): Guarded<T> {
  const decoded = decodeTokenText(token.token);
  if (!decoded) return { ok: false, reason: 'token is not a Privacy Pass token' };
  const keyId = Array.from(decoded.tokenKeyId, (b) => b.toString(16).padStart(2, '0')).join('');
  if (keyId !== token.keyId) return { ok: false, reason: 'token is not under the key it was fetched under' };
  const parsed = v.safeParse(schema, { ...(JSON.parse(json) as object), [TOKEN_FIELD]: token.token });
  if (!parsed.success) return { ok: false, reason: `schema: ${parsed.issues[0].message}` };
  const out = JSON.stringify(parsed.output);
  if (new TextEncoder().encode(out).length > MAX_INGEST_BYTES) return { ok: false, reason: 'too large' };
  return { ok: true, message: parsed.output, json: out };
}

/** The message without its token: as the guard let it out, before `withToken`. */
export function withoutToken(json: string): string {
  const { [TOKEN_FIELD]: _, ...message } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(message);
}
