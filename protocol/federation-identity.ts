// The node's federation secret as the sidecar hands it to the browsers paired with it (privacy rule 3): the
// answer of `GET /api/federation/identity` and `POST /api/federation/identity/reset` (with the token). Every
// browser of one node anonymizes under it, so the node publishes one set of task keys and one pseudonym.
import * as v from 'valibot';
import { HttpUrlSchema, InviteSchema } from './app-config.ts';

/** The secret's size in bytes. */
export const NODE_SECRET_BYTES = 32;

export const NodeSecretSchema = v.strictObject({
  /** 32 bytes in base64url without padding (43 characters, the last one carrying 4 bits). */
  secret: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'the secret is not 32 bytes in base64url'),
  ),
  /** When the sidecar made this secret (ISO 8601, UTC). */
  since: v.pipe(v.string(), v.isoTimestamp()),
  /**
   * The node's invite for the federation's token issuer, when the sidecar has one (docs/TRUST.md), with the
   * issuer it is for: the app sends it to that issuer only.
   */
  issuerInvite: v.optional(v.strictObject({ issuerUrl: HttpUrlSchema, code: InviteSchema })),
});
export type NodeSecret = v.InferOutput<typeof NodeSecretSchema>;
