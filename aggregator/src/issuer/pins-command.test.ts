// `npm run -s issuer -- pins`, as the host runs it, in its own process, beside a running issuer: the pins of
// every key the issuer publishes, each for its week, as the app's FEDERATION_ISSUER_KEY_PINS takes them (the
// app's client fetches under such pins in issuer-client.test.ts).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FederationConfigSchema } from '../../../protocol/app-config.ts';
import { keyWeekStart, parseKeyPin } from '../../../protocol/private-token.ts';
import { startTestIssuer, type TestIssuer } from '../../../test/support/issuer.ts';
import { keysFileOf } from './keys-file.ts';
import { WEEK_MS, weekName } from './weeks.ts';

const MAIN = new URL('./main.ts', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'truwatch-pins-'));
const dataDir = join(root, 'issuer');
let issuer: TestIssuer;

/** `npm run -s issuer -- pins …` in its own process: its exit code, stdout and stderr. */
async function pins(
  dir: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', MAIN, 'pins', ...args],
      { env: { ...process.env, ISSUER_DATA_DIR: dir } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

beforeAll(async () => {
  issuer = await startTestIssuer({ policy: 'dev', dataDir });
});
afterAll(async () => {
  await issuer?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('npm run issuer -- pins', () => {
  it('prints the pins of this week’s and the coming weeks’ keys, both kinds, on one line', async () => {
    const { code, stdout, stderr } = await pins(dataDir);
    expect(code).toBe(0);
    const expected = issuer.keys
      .published(Date.now())
      .map((key) => `${weekName(key.weekStart)}:${key.tokenKeyId.toString('hex')}`);
    expect(expected).toHaveLength(6);
    expect(stdout).toBe(`${expected.join(',')}\n`);
    const monday = keyWeekStart(Date.now());
    expect(stderr).toBe(
      `6 pins, the weeks of ${weekName(monday)} to ${weekName(monday + 2 * WEEK_MS)}: set them as FEDERATION_ISSUER_KEY_PINS; they run out on ${weekName(monday + 3 * WEEK_MS)}, so publish them again each week\n`,
    );
    for (const pin of stdout.trim().split(',')) expect(parseKeyPin(pin)).toBeDefined();
  });

  it('prints what the app’s settings take as FEDERATION_ISSUER_KEY_PINS', async () => {
    const { stdout } = await pins(dataDir);
    const issuerKeyPins = stdout.trim().split(',');
    expect(v.parse(FederationConfigSchema, { issuerKeyPins }).issuerKeyPins).toEqual(issuerKeyPins);
  });

  it('leaves out the weeks that ended, and changes nothing in the data dir', async () => {
    const file = keysFileOf(dataDir);
    const before = readFileSync(file, 'utf8');
    const keysFile = JSON.parse(before) as { 'token-keys': { 'not-before': number }[] };
    const copy = join(root, 'with-past');
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy);
    // A keys file that also lists last week's keys, as the issuer's does for 8 days after a week ends.
    const past = keysFile['token-keys']
      .slice(0, 2)
      .map((k) => ({ ...k, 'not-before': k['not-before'] - WEEK_MS / 1000 }));
    writeFileSync(keysFileOf(copy), JSON.stringify({ 'token-keys': [...past, ...keysFile['token-keys']] }));
    expect((await pins(copy)).stdout).toBe((await pins(dataDir)).stdout);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('says what is wrong in one line: no keys file, a broken one, arguments', async () => {
    const empty = join(root, 'empty');
    const missing = await pins(empty);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe(
      `no keys file ${keysFileOf(empty)}: start the issuer (npm run issuer) with this ISSUER_DATA_DIR once; it makes its keys and writes it\n`,
    );
    mkdirSync(empty, { recursive: true });
    writeFileSync(keysFileOf(empty), '{"token-keys": [{"token-type": 1}]}');
    const broken = await pins(empty);
    expect(broken).toMatchObject({ code: 1, stdout: '' });
    expect(broken.stderr).toMatch(/^token keys .*token-keys\.json: /);
    writeFileSync(keysFileOf(empty), '{"token-keys": []}');
    expect(await pins(empty)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/lists no key for this week or later/),
    });
    expect(await pins(dataDir, 'all')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'usage: npm run -s issuer -- pins\n',
    });
  });
});
