// `npm run issuer -- invite create [note] | revoke <code> | list`: the host's hand on the invites policy.
import { invitesFile } from './issuer.ts';
import { InviteBook } from './invites.ts';

const USAGE = 'usage: npm run issuer -- invite create [note] | revoke <code> | list';

/** Runs one invite command; returns the exit code. */
export function runInviteCommand(
  args: string[],
  dataDir: string,
  print = console.log,
  printError = console.error,
): number {
  const book = new InviteBook(invitesFile(dataDir));
  const [command, arg] = args;
  if (command === 'create') {
    print(book.create(args.slice(1).join(' ') || undefined));
    return 0;
  }
  if (command === 'revoke' && arg) {
    if (book.revoke(arg)) {
      print(`revoked ${arg}`);
      return 0;
    }
    printError(`no invite ${arg}`);
    return 1;
  }
  if (command === 'list') {
    for (const [code, invite] of book.list())
      print(
        [code, invite.created, invite.revoked ? `revoked ${invite.revoked}` : 'valid', invite.note ?? '']
          .join('\t')
          .trimEnd(),
      );
    return 0;
  }
  printError(USAGE);
  return 2;
}
