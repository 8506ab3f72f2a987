import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.ts';
import { Client } from '../../sidecar/src/sources/docker/no-ssh.ts';

const MAIN = new URL('../../sidecar/src/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'truwatch-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the sidecar's bundle and dockerode's SSH transport", () => {
  it('refuses SSH instead of loading it', () => {
    expect(() => new Client()).toThrow(/unix socket, not SSH/);
  });

  for (const selfContained of [false, true]) {
    it(`carries the stub, not ssh2 and its WebAssembly (${selfContained ? 'self-contained' : 'packages outside'})`, async () => {
      const out = await bundle(MAIN, join(dir, `sidecar-${selfContained}.mjs`), { selfContained });
      const code = readFileSync(out, 'utf8');
      expect(code).toContain('the sidecar reaches Docker through a unix socket, not SSH');
      expect(code).toContain('docker-modem');
      expect(code).not.toMatch(/poly1305|require\("ssh2"\)|from "ssh2"|from "dockerode"/);
    });
  }
});
