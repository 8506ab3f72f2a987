// npm run issuer: the Privacy Pass issuer, configured from the environment (ISSUER_* in config.ts).
// npm run issuer -- invite create|revoke|list: the invite codes of its data dir.
import { StartError } from '../start-error.ts';
import { readDataDir, readIssuerConfig } from './config.ts';
import { runInviteCommand } from './invite-command.ts';
import { startIssuer, type Issuer } from './issuer.ts';

if (process.argv[2] === 'invite') {
  process.exit(runInviteCommand(process.argv.slice(3), readDataDir()));
}

let issuer: Issuer;
try {
  issuer = await startIssuer(readIssuerConfig());
} catch (error) {
  console.error(error instanceof StartError ? `issuer: ${error.message}` : error);
  process.exit(1);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void issuer.stop().then(() => process.exit(0));
  });
