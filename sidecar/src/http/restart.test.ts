// The real sidecar process on the file source: a client that disconnects, and a sidecar killed and started
// again, both resume from the client's last id with no gap; the entry at the cursor is sent again (it may
// have grown), nothing else twice.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { writeGeneratedLog } from '../../../scripts/generate-log.ts';
import { startSidecarProcess, type SidecarProcess } from '../../../scripts/sidecar-process.ts';
import { openEvents } from '../../../scripts/sse-client.ts';
import { parseFile } from '../parse/read-log.ts';
import { formatFileCursor } from '../sources/file-cursor.ts';

/** Reads entries from the sidecar until `stop(entries)` says enough, then closes the stream. */
async function read(sidecar: SidecarProcess, after: string | undefined, stop: (entries: Entry[]) => boolean) {
  const controller = new AbortController();
  const events = await openEvents(sidecar.url, sidecar.apiKey, {
    signal: controller.signal,
    ...(after && { after }),
  });
  const entries: Entry[] = [];
  const deadline = setTimeout(() => controller.abort(), 30_000);
  try {
    for await (const event of events) {
      if (event.event === 'batch') entries.push(...(JSON.parse(event.data) as { entries: Entry[] }).entries);
      else if (event.event === 'entry') entries.push(JSON.parse(event.data) as Entry);
      if (stop(entries)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
  return entries;
}

describe('resuming across disconnects and sidecar restarts (file source, real process)', () => {
  let dir: string;
  let log: string;
  let sidecar: SidecarProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'truwatch-restart-'));
    mkdirSync(join(dir, 'logs'));
    log = join(dir, 'logs', '2025-11-24.log');
    await writeGeneratedLog(log, { tasks: 400, startMs: Date.parse('2025-11-24T00:00:00Z') });
  });
  afterAll(async () => {
    await sidecar?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () =>
    startSidecarProcess({
      SOURCE: `file:${join(dir, 'logs')}`,
      DATA_DIR: join(dir, 'data'),
      CONTAINER_NAME: 'unused',
    });

  it('delivers every entry of the log, in order, across both, and only the cursors twice', async () => {
    sidecar = await start();
    const first = await read(sidecar, undefined, (e) => e.length >= 2000);

    // The client goes away and comes back with its last id.
    const second = await read(sidecar, first.at(-1)!.id, (e) => e.length >= 2000);

    // The sidecar is killed; the runner keeps writing; a new sidecar starts.
    await sidecar.stop('SIGKILL');
    const tail = readFileSync(log, 'utf8').split('\n').slice(0, 60).join('\n') + '\n';
    appendFileSync(log, tail.replaceAll('2025-11-24 00:', '2025-11-24 23:'));
    sidecar = await start();
    const expected: string[] = [];
    // The same log parsed in one go, with the file source's cursors for that file.
    await parseFile(
      log,
      (batch) => expected.push(...batch.map((e) => e.id)),
      (offset) => formatFileCursor('2025-11-24', 0, offset),
    );
    const third = await read(sidecar, second.at(-1)!.id, (e) => e.at(-1)?.id === expected.at(-1));

    // Stored by id, as the PWA stores them: every entry of the log, in order, none missing. The only ids
    // delivered twice are the two resume cursors (sent again in case they grew).
    const ids = [...first, ...second, ...third].map((e) => e.id);
    const stored = [...new Set(ids)];
    expect(stored).toEqual(expected);
    expect(ids.length - stored.length).toBe(2);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([first.at(-1)!.id, second.at(-1)!.id]);
  });
});
