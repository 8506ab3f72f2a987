// The file source on damaged and unreadable files: a corrupt or truncated .log.gz keeps its whole lines before
// the damage, an unreadable file is reported (the source is not live until it can read the current one, and
// reads it then), and reading goes on.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { Status } from '../../../../protocol/node-events.ts';
import { POLL_MS, useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import type { SourceEvent, SourceLine } from '../source.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

/** A reader of the source in a child process running as `nobody` (uid 65534), stopped by the test. */
async function readAsNobody() {
  chmodSync(logs.path, 0o755);
  // `nobody` may not be able to enter the work tree: run a self-contained bundle from a directory it can read.
  const bin = mkdtempSync(join(tmpdir(), 'truwatch-follow-'));
  chmodSync(bin, 0o755);
  const script = join(bin, 'follow-files.mjs');
  await build({
    entryPoints: [new URL('../../../../scripts/follow-files.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'warning',
  });
  const child = spawn(process.execPath, [script, logs.path, String(POLL_MS)], {
    cwd: bin,
    uid: 65534,
    gid: 65534,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.once('exit', () => rmSync(bin, { recursive: true, force: true }));
  const lines: SourceLine[] = [];
  const statuses: Status[] = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const rows = (rest + chunk.toString()).split('\n');
    rest = rows.pop()!;
    for (const row of rows) {
      const event = JSON.parse(row) as SourceEvent;
      if (event.type === 'lines') lines.push(...event.lines);
      else statuses.push(event.status);
    }
  });
  const texts = () => lines.map((l) => l.text);
  const until = async (what: string, ok: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}; statuses: ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { lines, statuses, until, texts, isLive: () => statuses.some((s) => s.state === 'live'), stop };
}

describe('FileSource: damaged and unreadable files', () => {
  it('reports a corrupt or truncated gz, keeps the lines before the damage, and goes on', async () => {
    logs.write('2025-11-21.log.gz', Buffer.from('this is not gzip at all\n'));
    const many = Array.from({ length: 5000 }, (_, n) => `line ${n} ${'x'.repeat(n % 50)}\n`).join('');
    const gz = gzipSync(many);
    logs.write('2025-11-22.log.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    logs.write('2025-11-23.log.gz', Buffer.alloc(0));
    logs.write('2025-11-24.log', 'fine\n');
    const r = reader();
    await r.until('live', r.isLive);
    const errors = r.statuses.filter((s) => s.state === 'error').map((s) => s.detail);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/2025-11-21\.log\.gz is corrupt or truncated/);
    expect(errors[1]).toMatch(/2025-11-22\.log\.gz is corrupt or truncated .*kept the \d+ whole lines/);
    expect(errors[2]).toMatch(/2025-11-23\.log\.gz/);
    const partial = r.texts().filter((t) => t.startsWith('line '));
    expect(partial.length).toBeGreaterThan(100);
    expect(partial).toEqual(many.split('\n').slice(0, partial.length)); // whole lines only, in order
    expect(r.texts().at(-1)).toBe('fine');
  });

  it('reports unreadable files and reads the current one once it can', async () => {
    logs.writeGz('2025-11-22.log.gz', 'g1\n');
    logs.write('2025-11-23.log', 'old\n');
    logs.write('2025-11-24.log', 'cur\n');
    for (const name of ['2025-11-22.log.gz', '2025-11-23.log', '2025-11-24.log'])
      chmodSync(logs.file(name), 0);
    // Root reads anything: the source runs as the unprivileged user `nobody` then.
    const r = process.getuid?.() === 0 ? await readAsNobody() : reader();
    // Not live while the current file cannot be read: after the backfill, the error again.
    await r.until('the status after the backfill', () => r.statuses.at(-2)?.backfill?.done === true);
    const errors = r.statuses.filter((s) => s.state === 'error').map((s) => s.detail);
    expect([...new Set(errors)]).toEqual([
      'Cannot read 2025-11-22.log.gz: permission denied; skipped it',
      'Cannot read 2025-11-23.log: permission denied; skipped it',
      'Cannot read 2025-11-24.log: permission denied; trying again',
    ]);
    expect(r.statuses.at(-1)).toMatchObject({
      state: 'error',
      detail: 'Cannot read 2025-11-24.log: permission denied; trying again',
    });
    chmodSync(logs.file('2025-11-24.log'), 0o644);
    await r.until('cur', () => r.texts().includes('cur'), 10_000);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'live', detail: 'Following 2025-11-24.log' });
    expect(r.texts()).toEqual(['cur']);
    await r.stop();
  });
});
