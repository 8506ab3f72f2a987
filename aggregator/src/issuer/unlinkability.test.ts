// docs/TRUST.md, "What each part learns": the issuer cannot link a spent token to its issuance. Every byte the
// issuer received (attestation, token requests) and returned (directory, blind signatures) is recorded, and
// no 8 bytes in a row of any finalized token occur in any of them. The whole token is checked: its
// token_type (2 bytes) and token_key_id (the same for every token of a kind, and a hash of a key the issuer
// itself published) would link nothing even if found; the nonce, challenge digest and authenticator are what
// must never reach the issuer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken, type TokenKind } from '../../../protocol/private-token.ts';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';
import { TokenVerifier } from '../tokens/verify-token.ts';
import { InviteBook } from './invites.ts';
import { invitesFile } from './issuer.ts';

const WINDOW = 8;
const dataDir = mkdtempSync(join(tmpdir(), 'truwatch-unlinkable-'));
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer({ policy: 'invites', dataDir });
});
afterAll(async () => {
  await issuer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every run of WINDOW bytes in `strings`. */
function windows(strings: Uint8Array[]): Set<string> {
  const seen = new Set<string>();
  for (const bytes of strings)
    for (let i = 0; i + WINDOW <= bytes.length; i++)
      seen.add(Buffer.from(bytes.subarray(i, i + WINDOW)).toString('latin1'));
  return seen;
}

/** The runs of WINDOW bytes of `strings` that are also in `seen`. */
function shared(seen: Set<string>, strings: Uint8Array[]): string[] {
  return [...windows(strings)].filter((w) => seen.has(w));
}

describe('what the issuer sees and what is spent', () => {
  it('share no run of 8 bytes', async () => {
    const code = new InviteBook(invitesFile(dataDir)).create();
    const kinds: TokenKind[] = ['presence', 'presence', 'presence', 'task', 'task', 'task', 'task', 'task'];
    const tokens: Uint8Array[] = [];
    for (const kind of kinds)
      tokens.push(await fetchToken(issuer.url, issuer.config.issuerName, kind, `Invite ${code}`));

    const verifier = new TokenVerifier(
      issuer.config.issuerName,
      issuer.keys
        .keys(Date.now())
        .map((key) => ({ kind: key.kind, tokenKey: key.tokenKey, notBefore: key.weekStart })),
    );
    tokens.forEach((token, i) => expect(verifier.verify(token, kinds[i]!).ok).toBe(true));

    const exchanges = issuer.exchanges;
    expect(exchanges.filter((e) => e.path === '/token-request' && e.status === 200)).toHaveLength(
      kinds.length,
    );
    const seenByIssuer = [
      ...exchanges.map((e) => e.request),
      ...exchanges.map((e) => e.response),
      ...exchanges.map((e) => new TextEncoder().encode(e.authorization ?? '')),
    ];
    const seen = windows(seenByIssuer);

    // The check finds what is there: a token request's blinded message is in what the issuer received.
    const aRequest = exchanges.find((e) => e.path === '/token-request')!.request;
    expect(shared(seen, [aRequest.subarray(3, 3 + WINDOW)])).toHaveLength(1);

    expect(shared(seen, tokens)).toEqual([]);
    const fields = tokens.map((t) => decodeToken(t)!);
    expect(
      shared(
        seen,
        fields.flatMap((f) => [f.nonce, f.challengeDigest, f.authenticator]),
      ),
    ).toEqual([]);
    // Nor does the base64url form messages carry appear in anything the issuer saw.
    const text = (bytes: Uint8Array) => new TextEncoder().encode(Buffer.from(bytes).toString('base64url'));
    expect(shared(seen, tokens.map(text))).toEqual([]);
  });
});
