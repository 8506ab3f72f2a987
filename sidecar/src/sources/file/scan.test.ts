// The file source's view of a log directory (scan.ts): which files are log days, and the order they are read in.
import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { NO_DATE, scanLogDir } from './scan.ts';

const logs = useRunnerLogDir();

describe('scanLogDir', () => {
  it('orders files: gz-only days, then .log days; undated ones first by mtime, then by date', async () => {
    logs.write('b.log', '');
    utimesSync(logs.file('b.log'), 1000, 1000);
    logs.write('a.log', '');
    utimesSync(logs.file('a.log'), 2000, 2000);
    logs.write('app-2025-11-02.log', '');
    logs.writeGz('app-2025-11-03.log.gz', '');
    logs.writeGz('app-2025-11-01.log.gz', '');
    logs.writeGz('x.log.gz', '');
    logs.write('app-2025-11-01.log.1', ''); // not a log file of ours
    const days = await scanLogDir(logs.path);
    expect(days !== 'missing' && days.map((d) => [d.stem, d.date])).toEqual([
      ['x', NO_DATE],
      ['app-2025-11-01', '2025-11-01'],
      ['app-2025-11-03', '2025-11-03'],
      ['b', NO_DATE],
      ['a', NO_DATE],
      ['app-2025-11-02', '2025-11-02'],
    ]);
    expect(await scanLogDir(logs.file('nope'))).toBe('missing');
  });
});
