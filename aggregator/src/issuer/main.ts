// npm run issuer: the Privacy Pass issuer, configured from the environment (ISSUER_* in config.ts).
// npm run issuer -- invite create|revoke|list: the invite codes of its data dir.
// npm run -s issuer -- pins: the pins of its keys, for the app's FEDERATION_ISSUER_KEY_PINS.
import { runService } from '../run-service.ts';
import { readDataDir, readIssuerConfig } from './config.ts';
import { runInviteCommand } from './invite-command.ts';
import { startIssuer } from './issuer.ts';
import { runPinsCommand } from './pins-command.ts';

if (process.argv[2] === 'invite') process.exit(runInviteCommand(process.argv.slice(3), readDataDir()));
if (process.argv[2] === 'pins') process.exit(runPinsCommand(process.argv.slice(3), readDataDir()));
await runService('issuer', () => startIssuer(readIssuerConfig()));
