// The file source reads the same log again with the same cursors (from a day's .log or its later .log.gz), and
// resumes after a cursor with every later line once, reading again only the correlation window before it.
import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectOrdered, useFileReaders } from '../../../../test/support/file-source-reader.ts';
import { useRunnerLogDir } from '../../../../test/support/runner-log-dir.ts';

const logs = useRunnerLogDir();
const reader = useFileReaders(logs);

describe('FileSource: reading again and resuming', () => {
  it('gives a day the same cursors from its .log and its .log.gz, and reads a day with both once', async () => {
    const text = 'one\ntwo\r\nthree\n';
    logs.write('worker-2025-11-24.log', text);
    const a = reader();
    await a.until('live', a.isLive);
    await a.stop();
    rmSync(logs.file('worker-2025-11-24.log'));
    logs.writeGz('worker-2025-11-24.log.gz', text);
    const b = reader();
    await b.until('live', b.isLive);
    expect(b.lines.map((l) => l.cursor)).toEqual(a.lines.map((l) => l.cursor));
    expect(b.texts()).toEqual(['one', 'two', 'three']);
    // Rotation in progress: both exist (the .gz maybe half written); the .log is read, once.
    logs.write('worker-2025-11-24.log', text);
    logs.write('worker-2025-11-24.log.gz', gzipSync(text).subarray(0, 10));
    logs.write('worker-2025-11-25.log', 'next\n');
    const d = reader();
    await d.until('live', d.isLive);
    expect(d.texts()).toEqual(['one', 'two', 'three', 'next']);
    expect(d.statuses.some((s) => s.state === 'error')).toBe(false);
  });

  it('resumes after a cursor in a gz day or in the current file, giving every later line once', async () => {
    const days = ['2025-11-20', '2025-11-21', '2025-11-22', '2025-11-23'];
    for (const [i, day] of days.entries()) {
      const text = Array.from({ length: 30 }, (_, n) => `${day} line ${n}\n`).join('');
      if (i < days.length - 1) logs.writeGz(`${day}.log.gz`, text);
      else logs.write(`${day}.log`, text);
    }
    const full = reader();
    await full.until('live', full.isLive);
    expect(full.lines).toHaveLength(120);
    expectOrdered(full.lines);
    const afters = [full.lines[75]!.cursor, full.lines[100]!.cursor, full.lines[119]!.cursor];
    expect(afters.map((a) => a.slice(2, 12))).toEqual(['2025-11-22', '2025-11-23', '2025-11-23']);
    for (const [i, after] of afters.entries()) {
      const expected = full.lines.filter((l) => l.cursor > after).map((l) => l.text);
      const r = reader({ after });
      await r.until('live', r.isLive);
      logs.append('2025-11-23.log', `appended ${i}\n`);
      await r.until('appended', () => r.texts().includes(`appended ${i}`));
      expect(r.lines.filter((l) => l.cursor > after).map((l) => l.text)).toEqual([
        ...expected,
        `appended ${i}`,
      ]);
      // The correlation window: from the day before the cursor's, not the whole history.
      expect(r.lines[0]!.text).toBe(i === 0 ? '2025-11-21 line 0' : '2025-11-22 line 0');
      await r.stop();
      await full.until('appended', () => full.texts().includes(`appended ${i}`));
    }
  });
});
