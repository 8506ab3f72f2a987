// `npm run -s issuer -- pins`: the pins of the issuer's keys for this week and the coming ones, both kinds, as
// the app's FEDERATION_ISSUER_KEY_PINS takes them (`YYYY-MM-DD:<key id>`, comma-separated, on stdout). Read
// from the keys file the issuer writes (public keys only, readable by any user): it changes nothing, and makes
// no key the running issuer does not have.
import { existsSync } from 'node:fs';
import { keyPin, keyWeekStart } from '../../../protocol/private-token.ts';
import { readAcceptedKeys } from '../tokens/accepted-keys.ts';
import { tokenKeyId } from '../tokens/token-key.ts';
import { keysFileOf } from './keys-file.ts';
import { WEEK_MS, weekName } from './weeks.ts';

const USAGE = 'usage: npm run -s issuer -- pins';

/** Prints the pins; returns the exit code. What they cover goes to `printNote` (stderr), not into the value. */
export function runPinsCommand(
  args: string[],
  dataDir: string,
  now = Date.now(),
  print = console.log,
  printNote = console.error,
): number {
  if (args.length > 0) {
    printNote(USAGE);
    return 2;
  }
  const file = keysFileOf(dataDir);
  if (!existsSync(file)) {
    printNote(
      `no keys file ${file}: start the issuer (npm run issuer) with this ISSUER_DATA_DIR once; it makes its keys and writes it`,
    );
    return 1;
  }
  let keys;
  try {
    keys = readAcceptedKeys(file);
  } catch (error) {
    printNote((error as Error).message);
    return 1;
  }
  const current = keyWeekStart(now);
  const coming = keys
    .filter((key) => key.notBefore >= current)
    .sort((a, b) => a.notBefore - b.notBefore || a.kind.localeCompare(b.kind));
  if (coming.length === 0) {
    printNote(`the keys file ${file} lists no key for this week or later: is the issuer running?`);
    return 1;
  }
  print(coming.map((key) => keyPin(key.notBefore, tokenKeyId(key.tokenKey).toString('hex'))).join(','));
  const last = coming.at(-1)!.notBefore;
  printNote(
    `${coming.length} pins, the weeks of ${weekName(coming[0]!.notBefore)} to ${weekName(last)}: set them as FEDERATION_ISSUER_KEY_PINS; they run out on ${weekName(last + WEEK_MS)}, so publish them again each week`,
  );
  return 0;
}
