import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, waitReady } from '../../../test/support/child-process.ts';
import { fetchToken } from '../../../test/support/issuer.ts';
import { stopProcess } from '../../../test/support/stop-process.ts';
import { readIssuerConfig } from './config.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'truwatch-issuer-main-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run issuer', () => {
  it('starts, makes its keys, issues a token and stops on SIGTERM', async () => {
    const child = spawnServer(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ISSUER_HTTP_PORT: '0', ISSUER_DATA_DIR: dataDir, ISSUER_POLICY: 'dev' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const started = await waitReady(child, /HTTP on (http:\/\/\S+)/, 'issuer', 60_000);
      expect(started.log()).toMatch(/issuer: localhost, policy dev/);
      expect(readdirSync(join(dataDir, 'keys'))).toHaveLength(12);
      expect(await fetchToken(started.match[1]!, 'localhost', 'presence')).toHaveLength(354);
    } finally {
      await stopProcess(child, 'SIGTERM');
    }
    expect(child.exitCode).toBe(0);
  });

  it('ends in one line when a setting is wrong', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ISSUER_DATA_DIR: dataDir, ISSUER_POLICY: 'invites', ISSUER_NAME: '' },
    });
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: 'issuer: ISSUER_NAME is required (the host name clients reach the issuer by)\n',
    });
  });
});

describe('readIssuerConfig', () => {
  it('has defaults for everything but the issuer’s name under the invites policy', () => {
    expect(readIssuerConfig({ ISSUER_NAME: 'issuer.example.org' })).toMatchObject({
      httpPort: 8081,
      policy: 'invites',
      issuerName: 'issuer.example.org',
      presenceTokensPerWeek: 14,
      taskTokensPerWeek: 14_000,
    });
    expect(readIssuerConfig({ ISSUER_POLICY: 'dev', TASK_TOKENS_PER_WEEK: '50' })).toMatchObject({
      issuerName: 'localhost',
      taskTokensPerWeek: 50,
    });
  });

  it('refuses what it cannot use', () => {
    expect(() => readIssuerConfig({ ISSUER_POLICY: 'closed' })).toThrow(
      /ISSUER_POLICY must be invites, open or dev/,
    );
    expect(() => readIssuerConfig({ ISSUER_POLICY: 'dev', TASK_TOKENS_PER_WEEK: '-1' })).toThrow(
      /TASK_TOKENS_PER_WEEK must be a whole number/,
    );
  });
});
