// npm run issuer: the Privacy Pass issuer, configured from the environment (ISSUER_* in config.ts).
// npm run issuer -- invite create|revoke|list: the invite codes of its data dir.
import { runService } from '../run-service.ts';
import { readDataDir, readIssuerConfig } from './config.ts';
import { runInviteCommand } from './invite-command.ts';
import { startIssuer } from './issuer.ts';

if (process.argv[2] === 'invite') process.exit(runInviteCommand(process.argv.slice(3), readDataDir()));
await runService('issuer', () => startIssuer(readIssuerConfig()));
