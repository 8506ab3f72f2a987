// The keys file an aggregator that requires tokens reads (its TOKEN_KEYS): every key whose tokens are still
// accepted, the past weeks' included, in the directory's format. The directory lists only the keys clients
// fetch tokens under; the aggregator must still check tokens of a week that ended. Public keys only, so the file
// is readable by all (the aggregator may run as another user); written whole, and only when it changes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_TYPE_BLIND_RSA, type TokenKeyEntry } from '../../../protocol/private-token.ts';
import type { IssuerKey } from './keys.ts';

export function keysFileOf(dataDir: string): string {
  return join(dataDir, 'token-keys.json');
}

/** A key as the directory and the keys file list it. */
export function tokenKeyEntry(key: IssuerKey): TokenKeyEntry {
  return {
    'token-type': TOKEN_TYPE_BLIND_RSA,
    'token-key': key.tokenKey.toString('base64url'),
    'not-before': key.weekStart / 1000,
    'truwatch-kind': key.kind,
  };
}

export function writeKeysFile(file: string, keys: IssuerKey[]): void {
  const content = JSON.stringify({ 'token-keys': keys.map(tokenKeyEntry) }, null, 2) + '\n';
  let before: string | undefined;
  try {
    before = readFileSync(file, 'utf8');
  } catch {
    before = undefined;
  }
  if (before === content) return;
  writeFileSync(`${file}.tmp`, content, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
}
