// The file source reads only regular files: what else sits in the log directory under a log's name (a FIFO, a
// symbolic link, a directory) is not read, the status says what it is, and the source goes on: it follows the
// file as soon as a regular one takes the name. (hostile-files.test.ts runs the attacks on the real process.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

describe('FileSource: files that are not regular files', () => {
  it('is not live on a FIFO as its only log, and reads the regular file put in its place', async () => {
    execFileSync('mkfifo', [logs.file('runner.log')]);
    const r = reader();
    const onFifo = 'Cannot read runner.log: it is a FIFO, not a regular file; trying again';
    await r.until('the status after the backfill', () => r.statuses.at(-2)?.backfill?.done === true);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'error', detail: onFifo });
    expect(r.statuses.some((s) => s.state === 'live')).toBe(false);
    unlinkSync(logs.file('runner.log'));
    logs.write('runner.log', 'r1\n');
    await r.until('r1', () => r.texts().includes('r1'));
    await r.until('live', () => r.statuses.at(-1)?.state === 'live');
    expect(r.statuses.at(-1)).toMatchObject({ detail: 'Following runner.log' });
  });

  it('skips a symbolic link and a directory among the older days, saying so, and reads the rest', async () => {
    logs.write('outside.txt', 'not a log\n');
    symlinkSync(logs.file('outside.txt'), logs.file('2025-11-22.log.gz'));
    mkdirSync(logs.file('2025-11-23.log'));
    logs.write('2025-11-24.log', 'x1\n');
    const r = reader();
    await r.until('live', r.isLive);
    expect(r.texts()).toEqual(['x1']);
    expect(r.statuses.filter((s) => s.state === 'error').map((s) => s.detail)).toEqual([
      'Cannot read 2025-11-22.log.gz: it is a symbolic link, not a regular file; skipped it',
      'Cannot read 2025-11-23.log: it is a directory, not a regular file; skipped it',
    ]);
  });

  it('does not follow a new day that is a symbolic link, and follows it once it is a regular file', async () => {
    logs.write('outside.txt', 'secret\n');
    logs.write('2025-11-24.log', 'x1\n');
    const r = reader();
    await r.until('live', r.isLive);
    symlinkSync(logs.file('outside.txt'), logs.file('2025-11-25.log'));
    const refused = 'Cannot read 2025-11-25.log: it is a symbolic link, not a regular file; trying again';
    await r.until('the refusal', () => r.statuses.at(-1)?.detail === refused);
    expect(r.statuses.at(-1)?.state).toBe('error');
    unlinkSync(logs.file('2025-11-25.log'));
    logs.write('2025-11-25.log', 'y1\n');
    await r.until('y1', () => r.texts().includes('y1'));
    expect(r.texts()).toEqual(['x1', 'y1']);
    expect(r.statuses.at(-1)).toMatchObject({ state: 'live', detail: 'Following 2025-11-25.log' });
  });
});
