import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mintKey, mintToken, TEST_ISSUER, writeKeysFile } from '../../../test/support/token-mint.ts';
import { WEEK_MS } from '../issuer/weeks.ts';
import { ACCEPTED_AFTER_MS } from '../issuer/keys.ts';
import { KeysFile } from './accepted-keys.ts';
import type { SpentTokens } from './spent-tokens.ts';
import { RequiredTokens } from './token-gate.ts';

const dir = mkdtempSync(join(tmpdir(), 'truwatch-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the token gate', () => {
  const key = mintKey('task');
  const file = join(dir, 'keys.json');
  writeKeysFile(file, [key]);
  const end = key.weekStart + WEEK_MS + ACCEPTED_AFTER_MS;
  /** A gate whose clock says `now` (checks need no spent tokens). */
  const gateAt = (now: number) =>
    new RequiredTokens(
      new KeysFile(file, TEST_ISSUER, 60_000, () => {}),
      {} as SpentTokens,
      () => {},
      () => now,
    );

  it('checks a token by its key’s week, at the message’s arrival and again when counting it', () => {
    const token = mintToken(key);
    expect(gateAt(key.weekStart + 1000).check(token, 'task', key.weekStart + 1000)).toMatchObject({
      keyIdHex: key.tokenKeyId.toString('hex'),
    });
    expect(gateAt(key.weekStart).check(token, 'task', key.weekStart - 1)).toBe('expired_key');
    expect(gateAt(end - 1).check(token, 'task', end - 1)).not.toBe('expired_key');
    expect(gateAt(end).check(token, 'task', end)).toBe('expired_key');
    // Arrived in time, counted after the end (a backlog): refused, so no spend can follow its bucket's removal.
    expect(gateAt(end + 1000).check(token, 'task', end - 1000)).toBe('expired_key');
  });

  it('names what is wrong with a token that backs nothing', () => {
    const gate = gateAt(key.weekStart + 1000);
    const at = key.weekStart + 1000;
    expect(gate.check(undefined, 'task', at)).toBe('missing');
    expect(gate.check('not base64url!', 'task', at)).toBe('malformed');
    expect(gate.check(mintToken(key), 'presence', at)).toBe('wrong_challenge');
    expect(gate.check(mintToken(mintKey('task')), 'task', at)).toBe('unknown_key');
  });
});
