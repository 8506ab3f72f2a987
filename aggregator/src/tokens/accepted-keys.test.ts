import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintKey, mintToken, TEST_ISSUER, writeKeysFile } from '../../../test/support/token-mint.ts';
import { ACCEPTED_AFTER_MS } from '../issuer/keys.ts';
import { WEEK_MS } from '../issuer/weeks.ts';
import { KeysFile, keyAccepted, readAcceptedKeys } from './accepted-keys.ts';
import { tokenBytes } from './verify-token.ts';

describe('the keys file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'truwatch-keys-'));
    file = join(dir, 'keys.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a key from its week’s start until 8 days after the week', () => {
    const start = Date.UTC(2026, 10, 30); // a Monday
    expect(keyAccepted(start, start - 1)).toBe(false);
    expect(keyAccepted(start, start)).toBe(true);
    expect(keyAccepted(start, start + WEEK_MS + ACCEPTED_AFTER_MS - 1)).toBe(true);
    expect(keyAccepted(start, start + WEEK_MS + ACCEPTED_AFTER_MS)).toBe(false);
  });

  it('names the file and what is wrong with it', () => {
    writeFileSync(file, '{');
    expect(() => readAcceptedKeys(file)).toThrow(`token keys ${file}:`);
    writeFileSync(file, JSON.stringify({ 'token-keys': [{ 'token-type': 1 }] }));
    expect(() => readAcceptedKeys(file)).toThrow(/token-type/);
    writeFileSync(
      file,
      JSON.stringify({
        'token-keys': [{ 'token-type': 2, 'token-key': 'AAAA', 'not-before': 0, 'truwatch-kind': 'task' }],
      }),
    );
    expect(() => new KeysFile(file, TEST_ISSUER, 1000, () => {})).toThrow(
      `token keys ${file}: token key is not an RSA public key`,
    );
  });

  it('takes keys added to the file, and keeps the old ones while it cannot be read', () => {
    const first = mintKey('task');
    const second = mintKey('task');
    writeKeysFile(file, [first]);
    const errors: string[] = [];
    const keys = new KeysFile(file, TEST_ISSUER, 1000, (error) => errors.push(error.message));
    const verifies = (key: typeof first, now: number) =>
      keys.current(now).verifier.verify(tokenBytes(mintToken(key))!, 'task').ok;
    expect(verifies(first, 0)).toBe(true);
    expect(verifies(second, 0)).toBe(false);

    writeKeysFile(file, [first, second]);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    // Not looked at again before `everyMs` has passed.
    expect(verifies(second, 500)).toBe(false);
    expect(verifies(second, 1000)).toBe(true);

    writeFileSync(file, 'not json');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(verifies(second, 2000)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(file);
  });
});
