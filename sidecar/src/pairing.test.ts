// `npm start -- --pairing-link` while the sidecar already runs on its port: the real sidecar (its bundle, as npm
// start runs it) twice on one port and data directory; the second prints the first's pairing link and exits 0,
// or says that the running one has another token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/free-port.ts';
import {
  runSidecarCommand,
  startSidecarProcess,
  TEST_API_KEY,
  type SidecarProcess,
} from '../../test/support/sidecar-process.ts';
import { pairingLink } from './pairing.ts';

let dir: string;
let env: Record<string, string>;
let running: SidecarProcess;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'truwatch-pairing-'));
  env = {
    SOURCE: 'replay',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    API_KEY: TEST_API_KEY,
  };
  running = await startSidecarProcess(env);
}, 60_000);
afterAll(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sidecarCommand = (args: string[], more: Record<string, string> = {}) =>
  runSidecarCommand(args, { ...env, ...more });

describe('--pairing-link while the sidecar runs', () => {
  it('prints the running sidecar’s pairing link and exits 0, starting nothing', async () => {
    const result = await sidecarCommand(['--pairing-link']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(pairingLink(running.url, running.apiKey));
    expect(result.stdout).toContain('already runs');
    // The link opens the running sidecar.
    const response = await fetch(`${running.url}/api/status`, {
      headers: { authorization: `Bearer ${running.apiKey}` },
    });
    expect(response.status).toBe(200);
  });

  it('says so when the running sidecar has another token, and exits 1', async () => {
    const result = await sidecarCommand(['--pairing-link'], { API_KEY: 'another-token-0123456789abcdef' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/runs on http:\/\/127\.0\.0\.1:\d+ with another API token than API_KEY/);
    expect(result.stdout).not.toContain('#token=');
  });
});
