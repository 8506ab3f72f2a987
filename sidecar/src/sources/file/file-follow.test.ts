// The file source follows the current .log live: appended lines (a partial line waits for its end), a directory
// and a first file that do not exist yet; it reads only as fast as it is pulled, and ends at once on abort.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cursorAt as c, POLL_MS, useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';
import { FileSource } from './file.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

describe('FileSource: following', () => {
  it('follows appended lines, holding a partial line until its end arrives', async () => {
    logs.write('2025-11-24.log', 'c1\n');
    const r = reader();
    await r.until('live', r.isLive);
    logs.append('2025-11-24.log', 'c2\nc3 first half');
    await r.until('c2', () => r.texts().includes('c2'));
    await sleep(POLL_MS * 4);
    expect(r.texts()).toEqual(['c1', 'c2']);
    logs.append('2025-11-24.log', ', second half\r\n');
    await r.until('c3', () => r.lines.length === 3);
    expect(r.lines.slice(1).map((l) => [l.cursor, l.text, l.live])).toEqual([
      [c('2025-11-24', 3), 'c2', true],
      [c('2025-11-24', 6), 'c3 first half, second half', true],
    ]);
  });

  it('waits for a missing directory and for its first file', async () => {
    const path = join(logs.path, 'logs', 'debug');
    const r = reader({ path });
    await r.until('waiting', () => r.statuses.some((s) => s.state === 'waiting'));
    expect(r.statuses[0]!.detail).toContain('does not exist');
    mkdirSync(path, { recursive: true });
    await r.until('empty', () => r.statuses.some((s) => s.detail?.includes('No *.log')));
    writeFileSync(join(path, '2025-11-24.log'), 'hello\n');
    await r.until('live', r.isLive);
    appendFileSync(join(path, '2025-11-24.log'), 'again\n');
    await r.until('again', () => r.texts().includes('again'));
    expect(r.texts()).toEqual(['hello', 'again']);
    expect(r.statuses.filter((s) => s.state === 'waiting')).toHaveLength(2); // reported once each, not per poll
  });

  it('reads only as fast as it is pulled, and ends promptly on abort', async () => {
    const text = Array.from({ length: 20_000 }, (_, n) => `entry ${n}\n`).join('');
    logs.writeGz('2025-11-23.log.gz', text);
    logs.write('2025-11-24.log', 'current\n');
    const ac = new AbortController();
    const source = new FileSource({ dir: logs.path, pollMs: POLL_MS });
    const it = source.read({ signal: ac.signal })[Symbol.asyncIterator]();
    let lines = 0;
    while (lines < 1000) {
      const { value } = await it.next();
      if (value?.type === 'lines') lines += value.lines.length;
    }
    await sleep(50); // nothing pulls: the source must not run ahead
    const { value } = await it.next();
    expect(value?.type === 'lines' ? value.lines[0]!.text : value?.status.state).toMatch(
      /entry 1000|backfill/,
    );
    await it.return?.(undefined);

    // Abort while it waits in live mode, and while it waits for a missing directory: at once, not at the end
    // of its wait (a minute here), however loaded the machine.
    for (const path of [logs.path, logs.file('missing')]) {
      const r = reader({ path, pollMs: 60_000 });
      await r.until('live or waiting', () =>
        r.statuses.some((s) => s.state === 'live' || s.state === 'waiting'),
      );
      const started = Date.now();
      await r.stop();
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    ac.abort();
  });
});
