// The node's federation secret, from the paired sidecar (GET /api/federation/identity; POST
// /api/federation/identity/reset makes a new one): every browser paired with one sidecar anonymizes under the
// same secret, so the node publishes one key per task and one pseudonym a day. Answers are bounded in time and
// size and validated against the contract (protocol/federation-identity.ts).
import * as v from 'valibot';
import { NODE_SECRET_BYTES, NodeSecretSchema } from '../../../../../protocol/federation-identity.ts';
import type { Pairing } from './sidecar-report.ts';

/** A sidecar that has not answered in this long is taken as unreachable. */
const TIMEOUT_MS = 10_000;
/** The answer is about 100 bytes: a longer one is not the sidecar's. */
const MAX_ANSWER_BYTES = 1024;

export type SidecarSecret =
  | {
      ok: true;
      secret: Uint8Array<ArrayBuffer>;
      since: string;
      /** The node's invite for the federation's token issuer, which the sidecar keeps (not in /config.json). */
      issuerInvite?: { issuerUrl: string; code: string };
    }
  | {
      ok: false;
      /**
       * `unreachable`: no answer, or a server error (the stored secret goes on); `refused`: the token is not the
       * sidecar's (401/403); `absent`: a sidecar older than the node's secret (404: the browser keeps its own);
       * `invalid`: an answer that is not a secret.
       */
      reason: 'unreachable' | 'refused' | 'absent' | 'invalid';
      detail: string;
    };

export class SidecarIdentity {
  constructor(
    private readonly pairing: Pairing,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The node's secret as the sidecar keeps it. */
  current(): Promise<SidecarSecret> {
    return this.ask('GET', '/api/federation/identity');
  }

  /** A new secret for the node (every other paired browser follows when it next asks). */
  reset(): Promise<SidecarSecret> {
    return this.ask('POST', '/api/federation/identity/reset');
  }

  private async ask(method: 'GET' | 'POST', path: string): Promise<SidecarSecret> {
    const where = `${this.pairing.baseUrl}${path}`;
    let text: string | undefined;
    let status: number;
    try {
      const response = await this.fetcher(where, {
        method,
        headers: { authorization: `Bearer ${this.pairing.token}` },
        cache: 'no-store',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      text = await boundedText(response);
    } catch (error) {
      return { ok: false, reason: 'unreachable', detail: `${method} ${where}: ${String(error)}` };
    }
    if (status === 401 || status === 403)
      return { ok: false, reason: 'refused', detail: `the sidecar refused this browser's token (${status})` };
    if (status === 404)
      return { ok: false, reason: 'absent', detail: 'the sidecar keeps no node secret (an older version)' };
    if (status >= 500)
      return { ok: false, reason: 'unreachable', detail: `the sidecar answered ${status}: ${text ?? ''}` };
    const parsed =
      text !== undefined && status === 200 ? v.safeParse(NodeSecretSchema, json(text)) : undefined;
    if (!parsed?.success)
      return {
        ok: false,
        reason: 'invalid',
        detail: `${method} ${path} answered ${status} without a node secret${parsed ? `: ${parsed.issues[0].message}` : ''}`,
      };
    const { secret, since, issuerInvite } = parsed.output;
    return {
      ok: true,
      secret: fromBase64url(secret),
      since,
      ...(issuerInvite !== undefined && { issuerInvite }),
    };
  }
}

/** The body as text, or undefined past MAX_ANSWER_BYTES (the rest is not read). */
async function boundedText(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The schema admits only 43 base64url characters: exactly NODE_SECRET_BYTES bytes. */
function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '=');
  const bytes = new Uint8Array(NODE_SECRET_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether two secrets are the same bytes. */
export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
