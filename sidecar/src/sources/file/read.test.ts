// Opening a log file (read.ts): only a regular file in the directory is opened; a symbolic link, FIFO, directory,
// device or socket is refused with what it is, without blocking, both by the look at the path (openLog) and by
// the check of the opened descriptor alone (openRegular: what a file swapped in after that look meets).
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { openLog, openRegular, type Opened } from './read.ts';

const logs = useRunnerLogDir();

async function refusal(opened: Promise<Opened>): Promise<string> {
  const result = await opened;
  if ('fh' in result) await result.fh.close();
  return 'error' in result ? result.error : JSON.stringify(result);
}

describe('openLog and openRegular', () => {
  it('open a regular file', async () => {
    logs.write('2025-11-24.log', 'a line\n');
    for (const open of [openLog, openRegular]) {
      const opened = await open(logs.file('2025-11-24.log'));
      expect('fh' in opened).toBe(true);
      if ('fh' in opened) {
        expect(await opened.fh.readFile('utf8')).toBe('a line\n');
        await opened.fh.close();
      }
    }
    expect(await openLog(logs.file('gone.log'))).toEqual({ missing: true });
  });

  it('refuse a symbolic link, even to a regular file', async () => {
    logs.write('secret.txt', 'secret\n');
    symlinkSync(logs.file('secret.txt'), logs.file('runner.log'));
    const expected = 'it is a symbolic link, not a regular file';
    expect(await refusal(openLog(logs.file('runner.log')))).toBe(expected);
    expect(await refusal(openRegular(logs.file('runner.log')))).toBe(expected); // O_NOFOLLOW
  });

  it('refuse a FIFO without waiting for a writer', async () => {
    execFileSync('mkfifo', [logs.file('runner.log')]);
    const expected = 'it is a FIFO, not a regular file';
    expect(await refusal(openLog(logs.file('runner.log')))).toBe(expected);
    expect(await refusal(openRegular(logs.file('runner.log')))).toBe(expected); // O_NONBLOCK, then fstat
  });

  it('refuse a directory, a device and a socket', async () => {
    mkdirSync(logs.file('dir.log'));
    expect(await refusal(openLog(logs.file('dir.log')))).toBe('it is a directory, not a regular file');
    expect(await refusal(openRegular(logs.file('dir.log')))).toBe('it is a directory, not a regular file');
    expect(await refusal(openLog('/dev/null'))).toBe('it is a device, not a regular file');
    expect(await refusal(openRegular('/dev/null'))).toBe('it is a device, not a regular file');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(logs.file('socket.log'), resolve));
    try {
      expect(await refusal(openLog(logs.file('socket.log')))).toBe('it is a socket, not a regular file');
      expect(await refusal(openRegular(logs.file('socket.log')))).toBe(
        'it is a socket or a device, not a regular file',
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
