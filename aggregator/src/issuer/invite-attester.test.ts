import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchToken, startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'truwatch-invites-'));
let issuer: TestIssuer;

/** `npm run issuer -- invite …`, as the host runs it, in its own process. */
async function invite(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', MAIN, 'invite', ...args],
    {
      env: { ...process.env, ISSUER_DATA_DIR: dataDir },
    },
  );
  return stdout.trim();
}

const token = (kind: 'presence' | 'task', authorization?: string) =>
  fetchToken(issuer.url, issuer.config.issuerName, kind, authorization);

beforeAll(async () => {
  issuer = await startTestIssuer({ policy: 'invites', dataDir, taskTokensPerWeek: 3 });
});
afterAll(async () => {
  await issuer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the invites policy', () => {
  it('refuses a request without an invite, or with one it does not know', async () => {
    await expect(token('presence')).rejects.toThrow(/code:401 response:an invite is required/);
    await expect(token('presence', 'Invite nosuchcode')).rejects.toThrow(/code:401 response:unknown invite/);
    await expect(token('presence', 'Bearer x')).rejects.toThrow(/code:401/);
    // Names every JavaScript object has are no invites (the codes are looked up in a parsed JSON object).
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])
      await expect(token('presence', `Invite ${name}`)).rejects.toThrow(/code:401 response:unknown invite/);
    await expect(invite('revoke', 'toString')).rejects.toThrow(/no invite toString/);
  });

  it('gives an invite 14 presence tokens and TASK_TOKENS_PER_WEEK task tokens a week, then 429', async () => {
    const code = await invite('create', 'operator one');
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(statSync(join(dataDir, 'invites.json')).mode & 0o777).toBe(0o600);
    for (let i = 0; i < 14; i++) expect(await token('presence', `Invite ${code}`)).toHaveLength(354);
    await expect(token('presence', `Invite ${code}`)).rejects.toThrow(
      /code:429 response:this week's allowance/,
    );
    for (let i = 0; i < 3; i++) expect(await token('task', `invite  ${code}`)).toHaveLength(354);
    await expect(token('task', `Invite ${code}`)).rejects.toThrow(/code:429/);
    const other = await invite('create');
    expect(await token('presence', `Invite ${other}`)).toHaveLength(354);
  });

  it('refuses a revoked invite from the next request on', async () => {
    const code = await invite('create');
    expect(await token('task', `Invite ${code}`)).toHaveLength(354);
    expect(await invite('revoke', code)).toBe(`revoked ${code}`);
    await expect(token('task', `Invite ${code}`)).rejects.toThrow(
      /code:403 response:this invite was revoked/,
    );
    await expect(token('presence', `Invite ${code}`)).rejects.toThrow(/code:403/);
    const list = await invite('list');
    expect(list).toMatch(new RegExp(`^${code}\\t\\S+\\trevoked \\S+$`, 'm'));
    expect(list).toMatch(/\tvalid\toperator one$/m);
    await expect(invite('revoke', 'nosuchcode')).rejects.toThrow(/no invite nosuchcode/);
  });
});
