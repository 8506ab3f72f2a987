// The app's side of the Privacy Pass issuance protocol (RFC 9578, docs/TRUST.md "Tokens"): fetches tokens of
// a kind from the federation's issuer with @cloudflare/privacypass-ts, in the federation worker (fetch and
// WebCrypto only). Each call reads the issuer's directory (its request URI on the issuer's own origin, its name
// the one the app puts in the challenge), takes the key of the kind whose week is this week, once its parameters
// (token-key-params.ts) and its pin for this week are checked, then sends one token request a token with the
// attestation the issuer asks for: an invite, or a proof of work (proof-of-work.ts) when a 401 names one.
// Loaded with a dynamic import() only where an issuer is configured: the library and its big-number code stay
// in a chunk of their own.
import { TokenChallenge } from '@cloudflare/privacypass-ts/lib/src/auth_scheme/private_token.js';
import { BlindRSAMode, Client } from '@cloudflare/privacypass-ts/lib/src/pub_verif_token.js';
import * as v from 'valibot';
import {
  decodeToken,
  ISSUER_DIRECTORY_PATH,
  keyWeekStart,
  MEDIA_TYPE_TOKEN_REQUEST,
  MEDIA_TYPE_TOKEN_RESPONSE,
  NK,
  ORIGIN_INFO,
  parseKeyPin,
  TOKEN_TYPE_BLIND_RSA,
  type TokenKind,
} from '../../../../../protocol/private-token.ts';
import { solveProofOfWork } from '../../../../../protocol/proof-of-work.ts';
import { tokenKeyRefusal } from '../../../../../protocol/token-key-params.ts';

export interface IssuerSettings {
  /** The issuer's base URL, e.g. http://127.0.0.1:8081 (its directory is at url + ISSUER_DIRECTORY_PATH). */
  url: string;
  /** The issuer_name of the challenge every token carries the digest of (encodeTokenChallenge). */
  name: string;
  /** '' = none; else sent as `Authorization: Invite <code>`. */
  invite: string;
  /**
   * The keys allowed, each for its week: `YYYY-MM-DD:<token_key_id in hex>` (the week's Monday, UTC; see
   * keyPin in protocol/private-token.ts); null = not pinned. A pin that is not one allows nothing.
   */
  pins: readonly string[] | null;
}

export interface FetchedToken {
  kind: TokenKind;
  /** Unpadded base64url of the 354-byte token (472 characters), as TokenSchema accepts it. */
  token: string;
  /** Lowercase hex token_key_id. */
  keyId: string;
  /** The start of the key's week (the directory's not-before × 1000). */
  notBeforeMs: number;
  fetchedMs: number;
}

export type IssuerErrorReason =
  | 'unreachable'
  | 'bad_directory'
  | 'no_key'
  | 'bad_key'
  /** Pins are set, and none of this week names the key the directory shows for it. */
  | 'key_not_pinned'
  /** The directory names an issuer other than the one this app puts in the challenge. */
  | 'wrong_name'
  /** 401 or 403: the attestation was missing, unknown or revoked, or the work asked for is more than we do. */
  | 'refused'
  /** 429: this week's allowance of the kind is spent. */
  | 'exhausted'
  /** Any other status, or a response that is not a blind signature under the key. */
  | 'issuer_error';

export class IssuerError extends Error {
  constructor(
    readonly reason: IssuerErrorReason,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'IssuerError';
  }
}

export interface IssuerClientOptions {
  fetcher?: typeof fetch;
  now?: () => number;
  /** The most proof-of-work bits this client does for one request (2^20 hashes: about a second in a browser). */
  maxPowBits?: number;
}

/** A round may fetch 2 000 tokens, each with its own proof: 24 bits would be about 15 s a token in a browser. */
const DEFAULT_MAX_POW_BITS = 20;
/** The most of a name from the directory shown in an error. */
const MAX_NAME = 100;
/** The most of an issuer's refusal text kept in an error. */
const MAX_TEXT = 300;
const POW_CHALLENGE = /^\s*PoW\s+bits=(\d{1,3})\s*$/i;

const KeyEntrySchema = v.looseObject({
  'token-type': v.number(),
  'token-key': v.string(),
  'not-before': v.optional(v.number()),
  'truwatch-kind': v.optional(v.string()),
});
const DirectorySchema = v.looseObject({
  'issuer-request-uri': v.pipe(v.string(), v.minLength(1)),
  'token-keys': v.array(KeyEntrySchema),
  'truwatch-issuer-name': v.optional(v.string()),
});

interface ChosenKey {
  tokenKey: Uint8Array;
  keyId: string;
  notBeforeMs: number;
  requestUrl: string;
}

function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  const base64 = text.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Text from the directory as an error shows it: quoted, and cut short. */
function shown(text: string): string {
  return JSON.stringify(text.length > MAX_NAME ? `${text.slice(0, MAX_NAME)}…` : text);
}

/** The pins of each week; a pin that is not one is left out (it allows nothing). */
function pinsByWeek(pins: readonly string[]): Map<number, Set<string>> {
  const byWeek = new Map<number, Set<string>>();
  for (const text of pins) {
    const pin = parseKeyPin(text.trim().toLowerCase());
    if (!pin) continue;
    const ids = byWeek.get(pin.weekStartMs) ?? new Set<string>();
    ids.add(pin.keyId);
    byWeek.set(pin.weekStartMs, ids);
  }
  return byWeek;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function responseText(response: Response): Promise<string> {
  try {
    return (await response.text()).trim().slice(0, MAX_TEXT);
  } catch {
    return '';
  }
}

export class IssuerClient {
  private readonly fetcher: typeof fetch;
  private readonly now: () => number;
  private readonly maxPowBits: number;
  /** The pinned key ids of each week (its Monday, epoch ms). */
  private readonly pins: ReadonlyMap<number, ReadonlySet<string>> | null;

  constructor(
    private readonly settings: IssuerSettings,
    options: IssuerClientOptions = {},
  ) {
    // Not `fetch` itself as a property: a browser's fetch called on another `this` throws.
    this.fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.maxPowBits = options.maxPowBits ?? DEFAULT_MAX_POW_BITS;
    this.pins = settings.pins ? pinsByWeek(settings.pins) : null;
  }

  /**
   * Fetches `count` tokens of `kind`, one request each, sequentially; stops at the first error and returns
   * what it got with the error (tokens already fetched are never lost). Never rejects: an abort ends the call
   * with an 'unreachable' error, anything unforeseen with an 'issuer_error'.
   */
  async fetchTokens(
    kind: TokenKind,
    count: number,
    signal?: AbortSignal,
  ): Promise<{ tokens: FetchedToken[]; error?: IssuerError }> {
    const tokens: FetchedToken[] = [];
    try {
      const key = await this.key(kind, signal);
      // The work the issuer asked for in this call: learnt from its first 401, then done before each request.
      const work = { bits: undefined as number | undefined };
      for (let i = 0; i < count; i++) {
        signal?.throwIfAborted();
        tokens.push(await this.fetchToken(kind, key, work, signal));
      }
      return { tokens };
    } catch (error) {
      if (error instanceof IssuerError) return { tokens, error };
      if (signal?.aborted)
        return { tokens, error: new IssuerError('unreachable', `aborted: ${message(error)}`) };
      return { tokens, error: new IssuerError('issuer_error', message(error)) };
    }
  }

  /**
   * This week's key of `kind` from the directory, checked: the one whose not-before is this week's Monday
   * (never an older or a coming week's, whatever the directory says), pinned for this week when pins are set.
   */
  private async key(kind: TokenKind, signal: AbortSignal | undefined): Promise<ChosenKey> {
    const directoryUrl = `${this.settings.url.replace(/\/+$/, '')}${ISSUER_DIRECTORY_PATH}`;
    const response = await this.send(directoryUrl, { method: 'GET', signal });
    if (!response.ok)
      throw new IssuerError(
        'bad_directory',
        `the directory answered ${response.status}: ${await responseText(response)}`,
        response.status,
      );
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new IssuerError('bad_directory', `the directory is not JSON: ${message(error)}`);
    }
    const parsed = v.safeParse(DirectorySchema, body);
    if (!parsed.success)
      throw new IssuerError('bad_directory', `the directory is not one: ${v.summarize(parsed.issues)}`);
    const directory = parsed.output;
    let requestUrl: URL;
    try {
      requestUrl = new URL(directory['issuer-request-uri'], this.settings.url);
    } catch {
      throw new IssuerError('bad_directory', 'the directory’s issuer-request-uri is not a URL');
    }
    // The invite goes with every token request: only to the issuer this app was given.
    const issuerOrigin = new URL(this.settings.url).origin;
    if (requestUrl.origin !== issuerOrigin)
      throw new IssuerError(
        'bad_directory',
        `the directory sends token requests to ${shown(requestUrl.origin)}, not to the issuer’s ${issuerOrigin}`,
      );
    // Checked, never adopted: a host could give each client a name of its own and know its tokens by it.
    const name = directory['truwatch-issuer-name'];
    if (name !== undefined && name !== this.settings.name)
      throw new IssuerError(
        'wrong_name',
        `the issuer calls itself ${shown(name)}, not ${shown(this.settings.name)}: check the issuer URL and name against those the federation publishes (a host that gives one node a name of its own could tell its tokens apart)`,
      );

    const week = keyWeekStart(this.now());
    const entries = directory['token-keys'].filter(
      (k) =>
        k['truwatch-kind'] === kind &&
        k['token-type'] === TOKEN_TYPE_BLIND_RSA &&
        k['not-before'] === week / 1000,
    );
    const weekName = new Date(week).toISOString().slice(0, 10);
    if (entries.length === 0)
      throw new IssuerError('no_key', `the issuer lists no ${kind} key for the week of ${weekName}`);
    if (new Set(entries.map((k) => k['token-key'])).size > 1)
      throw new IssuerError(
        'bad_directory',
        `the directory lists ${entries.length} ${kind} keys for the week of ${weekName}`,
      );
    const entry = entries[0]!;

    const tokenKey = fromBase64url(entry['token-key']);
    if (!tokenKey) throw new IssuerError('bad_key', 'the token key is not base64url');
    const refusal = tokenKeyRefusal(tokenKey);
    if (refusal) throw new IssuerError('bad_key', refusal);
    const keyId = toHex(
      new Uint8Array(await crypto.subtle.digest('SHA-256', tokenKey as Uint8Array<ArrayBuffer>)),
    );
    if (this.pins && !this.pins.get(week)?.has(keyId))
      throw new IssuerError(
        'key_not_pinned',
        `the ${kind} key ${keyId} is not pinned for the week of ${weekName}: no pin ${weekName}:${keyId}`,
      );
    return { tokenKey, keyId, notBeforeMs: week, requestUrl: requestUrl.toString() };
  }

  private async fetchToken(
    kind: TokenKind,
    key: ChosenKey,
    work: { bits: number | undefined },
    signal: AbortSignal | undefined,
  ): Promise<FetchedToken> {
    // One client a token: it keeps the blinding of its one request until it finalizes.
    const client = new Client(BlindRSAMode.PSS);
    const challenge = new TokenChallenge(TOKEN_TYPE_BLIND_RSA, this.settings.name, new Uint8Array(0), [
      ORIGIN_INFO[kind],
    ]);
    let request: Uint8Array;
    try {
      request = (await client.createTokenRequest(challenge, key.tokenKey)).serialize();
    } catch (error) {
      throw new IssuerError('bad_key', `the token key could not be used: ${message(error)}`);
    }

    let authorization = this.settings.invite ? `Invite ${this.settings.invite}` : undefined;
    if (work.bits !== undefined) authorization = await this.proof(request, work.bits, signal);
    let response = await this.post(key.requestUrl, request, authorization, signal);
    const asked = response.status === 401 ? this.askedBits(response) : undefined;
    if (asked !== undefined && asked !== work.bits) {
      work.bits = asked;
      await response.body?.cancel();
      response = await this.post(key.requestUrl, request, await this.proof(request, asked, signal), signal);
    }

    if (response.status !== 200) {
      const text = await responseText(response);
      const said = `the issuer answered ${response.status}${text ? `: ${text}` : ''}`;
      if (response.status === 401 || response.status === 403)
        throw new IssuerError('refused', said, response.status);
      if (response.status === 429) throw new IssuerError('exhausted', said, response.status);
      throw new IssuerError('issuer_error', said, response.status);
    }
    let authenticated: Uint8Array;
    try {
      const blindSig = new Uint8Array(await response.arrayBuffer());
      if (blindSig.length !== NK) throw new Error(`a blind signature is ${NK} bytes, not ${blindSig.length}`);
      authenticated = (await client.finalize(client.deserializeTokenResponse(blindSig))).serialize();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new IssuerError('issuer_error', `the issuer’s response is no signature: ${message(error)}`, 200);
    }
    if (!decodeToken(authenticated))
      throw new IssuerError('issuer_error', 'the finalized token is not one of type 2');
    return {
      kind,
      token: toBase64url(authenticated),
      keyId: key.keyId,
      notBeforeMs: key.notBeforeMs,
      fetchedMs: this.now(),
    };
  }

  /** The bits a 401 asks for (`WWW-Authenticate: PoW bits=N`), refused past maxPowBits. */
  private askedBits(response: Response): number | undefined {
    const match = POW_CHALLENGE.exec(response.headers.get('www-authenticate') ?? '');
    if (!match) return undefined;
    const bits = Number(match[1]);
    if (bits > this.maxPowBits)
      throw new IssuerError(
        'refused',
        `the issuer asks a proof of work of ${bits} bits, more than ${this.maxPowBits}`,
        401,
      );
    return bits;
  }

  private async proof(request: Uint8Array, bits: number, signal: AbortSignal | undefined): Promise<string> {
    return `PoW ${await solveProofOfWork(request, bits, signal)}`;
  }

  private post(
    url: string,
    request: Uint8Array,
    authorization: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      'content-type': MEDIA_TYPE_TOKEN_REQUEST,
      accept: MEDIA_TYPE_TOKEN_RESPONSE,
    };
    if (authorization) headers.authorization = authorization;
    return this.send(url, {
      method: 'POST',
      headers,
      body: request as Uint8Array<ArrayBuffer>,
      signal,
    });
  }

  /**
   * A request with none of the browser's credentials or referrer; a network failure is 'unreachable'. An abort
   * while a token request is out loses that token, which the issuer may have signed and counted.
   */
  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetcher(url, { ...init, credentials: 'omit', referrerPolicy: 'no-referrer' });
    } catch (error) {
      throw new IssuerError('unreachable', `${url}: ${message(error)}`);
    }
  }
}
