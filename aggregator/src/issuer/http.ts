// The issuer's HTTP API (RFC 9578): the directory of token keys, and one blind signature per token request,
// paid for by the attested subject's allowance. Errors are a status and one line of text.
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import {
  decodeTokenRequest,
  ISSUER_DIRECTORY_PATH,
  MEDIA_TYPE_TOKEN_REQUEST,
  MEDIA_TYPE_TOKEN_RESPONSE,
  TOKEN_REQUEST_LENGTH,
  TOKEN_REQUEST_PATH,
  TOKEN_TYPE_BLIND_RSA,
  type IssuerDirectory,
} from '../../../protocol/private-token.ts';
import type { Allowances } from './allowances.ts';
import type { Attester } from './attester.ts';
import { blindSign, refuseBlindedMessage } from './blind-sign.ts';
import type { KeyRing } from './keys.ts';
import { tokenKeyEntry } from './keys-file.ts';

export interface IssuerHttpSources {
  /** ISSUER_NAME: published in the directory, for the app to check against the name it puts in the challenge. */
  issuerName: string;
  keys: KeyRing;
  attester: Attester;
  allowances: Allowances;
  now?: () => number;
}

/** A token request is 259 bytes; anything much larger is refused before it is read whole. */
const MAX_BODY = 1024;

const REFUSALS = {
  exhausted: [429, "this week's allowance of tokens of this kind is spent"],
  store_full: [503, 'the issuer admits no new subjects this week (its allowance store is full)'],
  key_full: [503, 'this key has signed all the tokens it may this week'],
} as const;

export function createIssuerHttp({
  issuerName,
  keys,
  attester,
  allowances,
  now = Date.now,
}: IssuerHttpSources): Hono {
  const app = new Hono();
  // The app fetches tokens from its own origin (a sidecar's, or the hosted app's): any origin may ask, with no
  // credentials of the browser's (an attestation is an explicit header), and read why it was refused.
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['authorization', 'content-type'],
      exposeHeaders: ['www-authenticate'],
      maxAge: 86_400,
    }),
  );

  app.get(ISSUER_DIRECTORY_PATH, (c) => {
    const directory: IssuerDirectory = {
      'issuer-request-uri': TOKEN_REQUEST_PATH,
      'token-keys': keys.published(now()).map(tokenKeyEntry),
      'truwatch-issuer-name': issuerName,
    };
    return c.body(JSON.stringify(directory), 200, {
      'content-type': 'application/private-token-issuer-directory',
      'cache-control': 'max-age=3600',
    });
  });

  app.post(
    TOKEN_REQUEST_PATH,
    bodyLimit({
      maxSize: MAX_BODY,
      onError: (c) => c.text(`a token request is ${TOKEN_REQUEST_LENGTH} bytes`, 413),
    }),
    async (c) => {
      const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== MEDIA_TYPE_TOKEN_REQUEST)
        return c.text(`Content-Type must be ${MEDIA_TYPE_TOKEN_REQUEST}`, 415);
      const body = new Uint8Array(await c.req.arrayBuffer());
      const request = decodeTokenRequest(body);
      if (!request)
        return c.text(
          `a token request is ${TOKEN_REQUEST_LENGTH} bytes of token type ${TOKEN_TYPE_BLIND_RSA}`,
          400,
        );
      const key = keys.signing(request.truncatedKeyId, now());
      if (!key?.privateKey)
        return c.text('no key of this week has that key id: fetch the directory again', 400);
      const refused = refuseBlindedMessage(key.publicKey, request.blindedMsg);
      if (refused) return c.text(refused.message, 400);

      const attestation = attester.attest({
        authorization: c.req.header('authorization'),
        address: getConnInfo(c).remote.address ?? '',
        request: body,
      });
      if (!attestation.ok)
        return c.text(
          attestation.reason,
          attestation.status,
          attestation.status === 401 && attester.scheme ? { 'www-authenticate': attester.scheme } : {},
        );
      const refusal = allowances.take(attestation.subject, key.kind, key.weekStart);
      if (refusal) return c.text(REFUSALS[refusal][1], REFUSALS[refusal][0]);

      const signature = blindSign(key.privateKey, key.publicKey, request.blindedMsg);
      return c.body(new Uint8Array(signature), 200, { 'content-type': MEDIA_TYPE_TOKEN_RESPONSE });
    },
  );

  return app;
}
