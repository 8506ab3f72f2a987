// The invites policy: a request carries `Authorization: Invite <code>`, a code the host created and did not
// revoke. The subject is the code: the host knows whom it gave it to (docs/TRUST.md, "Invites").
import type { Attester } from './attester.ts';
import type { InviteBook } from './invites.ts';

const INVITE = /^Invite\s+([A-Za-z0-9_-]{1,100})\s*$/i;

export function inviteAttester(book: InviteBook): Attester {
  return {
    policy: 'invites',
    scheme: 'Invite',
    attest({ authorization }) {
      const code = INVITE.exec(authorization ?? '')?.[1];
      if (!code)
        return { ok: false, status: 401, reason: 'an invite is required: Authorization: Invite <code>' };
      const status = book.status(code);
      if (status === 'unknown') return { ok: false, status: 401, reason: 'unknown invite' };
      if (status === 'revoked') return { ok: false, status: 403, reason: 'this invite was revoked' };
      return { ok: true, subject: `invite ${code}` };
    },
  };
}
