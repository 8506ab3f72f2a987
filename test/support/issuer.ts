// The Privacy Pass issuer for tests: the real issuer (aggregator/src/issuer) in the test's own process, on a
// free port, in a temporary data dir, recording every byte it received and returned; and the real client
// (@cloudflare/privacypass-ts) fetching one token from it over HTTP as the app will: directory, token
// request, finalized token.
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicVerif, sendTokenRequest, TokenChallenge } from '@cloudflare/privacypass-ts';
import type { IssuerConfig } from '../../aggregator/src/issuer/config.ts';
import { createIssuer, invitesFile, type IssuerParts } from '../../aggregator/src/issuer/issuer.ts';
import { InviteBook } from '../../aggregator/src/issuer/invites.ts';
import { TokenVerifier } from '../../aggregator/src/tokens/verify-token.ts';
import {
  ISSUER_DIRECTORY_PATH,
  ORIGIN_INFO,
  TOKEN_TYPE_BLIND_RSA,
  type IssuerDirectory,
  type TokenKind,
} from '../../protocol/private-token.ts';
import { startAggregator, type Aggregator } from '../../aggregator/src/aggregator.ts';
import { keysFileOf } from '../../aggregator/src/issuer/keys-file.ts';
import { testConfig } from './federation-traffic.ts';
import { freePort } from './free-port.ts';
import type { NatsServer } from './nats-server.ts';

/** One request the issuer served: what came in (attestation and body) and what went out. */
export interface Exchange {
  /** GET, POST, or OPTIONS for a browser's CORS preflight. */
  method: string;
  /** When it came in (epoch ms). */
  atMs: number;
  path: string;
  authorization: string | null;
  request: Uint8Array;
  status: number;
  response: Uint8Array;
}

export interface TestIssuer extends IssuerParts {
  url: string;
  config: IssuerConfig;
  exchanges: Exchange[];
  stop(): Promise<void>;
}

export async function startTestIssuer(settings: Partial<IssuerConfig> = {}): Promise<TestIssuer> {
  const dataDir = settings.dataDir ?? mkdtempSync(join(tmpdir(), 'truwatch-issuer-'));
  const config: IssuerConfig = {
    httpPort: await freePort(),
    httpHost: '127.0.0.1',
    policy: 'dev',
    issuerName: 'issuer.test',
    presenceTokensPerWeek: 14,
    taskTokensPerWeek: 14_000,
    maxSubjects: 1000,
    tokensPerKey: 1_000_000,
    powBits: 8,
    ...settings,
    dataDir,
  };
  const parts = createIssuer(config, () => {});
  const exchanges: Exchange[] = [];
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve(
      {
        port: config.httpPort,
        hostname: config.httpHost,
        async fetch(request, env) {
          const atMs = Date.now();
          const body = new Uint8Array(await request.clone().arrayBuffer());
          const response = await parts.app.fetch(request, env);
          exchanges.push({
            method: request.method,
            atMs,
            path: new URL(request.url).pathname,
            authorization: request.headers.get('authorization'),
            request: body,
            status: response.status,
            response: new Uint8Array(await response.clone().arrayBuffer()),
          });
          return response;
        },
      },
      () => resolve(s),
    );
  });
  return {
    ...parts,
    url: `http://${config.httpHost}:${config.httpPort}`,
    config,
    exchanges,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      if (!settings.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** This week's key of `kind` from the issuer's directory: the newest whose not-before has passed. */
export async function fetchTokenKey(
  issuerUrl: string,
  kind: TokenKind,
): Promise<{ key: Uint8Array; requestUrl: string }> {
  const response = await fetch(`${issuerUrl}${ISSUER_DIRECTORY_PATH}`);
  if (!response.ok) throw new Error(`directory: ${response.status}`);
  const directory = (await response.json()) as IssuerDirectory;
  const nowSeconds = Date.now() / 1000;
  const entry = directory['token-keys']
    .filter((k) => k['truwatch-kind'] === kind && k['token-type'] === TOKEN_TYPE_BLIND_RSA)
    .filter((k) => k['not-before'] <= nowSeconds)
    .sort((a, b) => b['not-before'] - a['not-before'])[0];
  if (!entry) throw new Error(`no ${kind} key in the directory`);
  return {
    key: new Uint8Array(Buffer.from(entry['token-key'], 'base64url')),
    requestUrl: new URL(directory['issuer-request-uri'], issuerUrl).toString(),
  };
}

/**
 * One token of `kind`, fetched from the issuer by the library's client and finalized (the library checks the
 * unblinded signature). Rejects with the library's error, which holds the issuer's status and text.
 */
export async function fetchToken(
  issuerUrl: string,
  issuerName: string,
  kind: TokenKind,
  authorization?: string | ((tokenRequest: Uint8Array) => Promise<string>),
): Promise<Uint8Array> {
  const { key, requestUrl } = await fetchTokenKey(issuerUrl, kind);
  const client = new publicVerif.Client(publicVerif.BlindRSAMode.PSS);
  const challenge = new TokenChallenge(TOKEN_TYPE_BLIND_RSA, issuerName, new Uint8Array(0), [
    ORIGIN_INFO[kind],
  ]);
  const request = await client.createTokenRequest(challenge, key);
  const bytes = request.serialize();
  const header = typeof authorization === 'function' ? await authorization(bytes) : authorization;
  const headers = new Headers(header ? { authorization: header } : {});
  const response = await sendTokenRequest(bytes, requestUrl, headers);
  const token = await client.finalize(client.deserializeTokenResponse(response));
  return token.serialize();
}

/** A new invite code of an issuer of the invites policy, as `npm run issuer -- invite create` makes one. */
export function createInvite(issuer: TestIssuer): string {
  return new InviteBook(invitesFile(issuer.config.dataDir)).create('test');
}

/** Revokes `code`, as `npm run issuer -- invite revoke` does: refused from the issuer's next request on. */
export function revokeInvite(issuer: TestIssuer, code: string): void {
  if (!new InviteBook(invitesFile(issuer.config.dataDir)).revoke(code)) throw new Error(`no invite ${code}`);
}

/** The aggregator's check of tokens, with every key of `issuer` (as its keys file lists them). */
export function issuerVerifier(issuer: TestIssuer): TokenVerifier {
  return new TokenVerifier(
    issuer.config.issuerName,
    issuer.keys
      .keys(Date.now())
      .map((key) => ({ kind: key.kind, tokenKey: key.tokenKey, notBefore: key.weekStart })),
  );
}

/** An aggregator in the test's process, on `server`, that counts only messages with tokens of `issuer`. */
export function startTokenAggregator(server: NatsServer, issuer: TestIssuer): Promise<Aggregator> {
  const tokens = {
    keysFile: keysFileOf(issuer.config.dataDir),
    issuerName: issuer.config.issuerName,
    spentMaxTokens: 100_000,
  };
  return startAggregator(testConfig(server, { tokens }), () => undefined);
}
