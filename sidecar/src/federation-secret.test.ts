import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeSecretSchema } from '../../protocol/federation-identity.ts';
import { FederationSecret } from './federation-secret.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-fed-secret-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the node's federation secret", () => {
  it('is made once, 32 bytes in base64url in a 0600 file, and read back as it was with the time it was made', () => {
    const path = join(tempDir(), 'nested', 'federation-secret');
    const first = FederationSecret.open(path).current();
    expect(v.is(NodeSecretSchema, first)).toBe(true);
    expect(Buffer.from(first.secret, 'base64url')).toHaveLength(32);
    expect(readFileSync(path, 'utf8')).toBe(first.secret + '\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.since).toBe(statSync(path).mtime.toISOString());
    expect(FederationSecret.open(path).current()).toEqual(first);
  });

  it('is replaced whole by a reset: a new secret and time in a 0600 file, no temporary file left', () => {
    const dir = tempDir();
    const path = join(dir, 'federation-secret');
    const secret = FederationSecret.open(path);
    const before = secret.current();
    const made = new Date('2026-01-01T00:00:00Z');
    utimesSync(path, made, made);
    expect(FederationSecret.open(path).current().since).toBe(made.toISOString());

    const after = secret.reset();
    expect(after.secret).not.toBe(before.secret);
    expect(Date.parse(after.since)).toBeGreaterThan(made.getTime());
    expect(secret.current()).toEqual(after);
    expect(FederationSecret.open(path).current()).toEqual(after);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['federation-secret']);
  });

  it('keeps the secret it has when a new one cannot be written', () => {
    const dir = tempDir();
    const secret = FederationSecret.open(join(dir, 'federation-secret'));
    const before = secret.current();
    rmSync(dir, { recursive: true });
    expect(() => secret.reset()).toThrow(/ENOENT/);
    expect(secret.current()).toEqual(before);
  });

  it('refuses to start on a file that holds something else, saying what to do', () => {
    const path = join(tempDir(), 'federation-secret');
    writeFileSync(path, 'this is not a base64url secret\n');
    expect(() => FederationSecret.open(path)).toThrow(
      /federation-secret does not hold a federation secret \(32 bytes in base64url\): restore/,
    );
  });
});
