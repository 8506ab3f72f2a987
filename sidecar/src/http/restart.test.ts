// The real sidecar process on the file source: a client that disconnects, and a sidecar killed and started
// again, both resume from the client's last id with no gap; the entry at the cursor is sent again (it may
// have grown), nothing else twice but an entry re-sent at once with more continuation lines (a read slower
// than the quiet time, as under load, flushes an entry before its last lines: they re-send it, same id).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { writeGeneratedLog } from '../demo/write-log.ts';
import { startSidecarProcess, type SidecarProcess } from '../../../test/support/sidecar-process.ts';
import { openEvents } from '../../../test/support/sse-client.ts';
import { parseFile } from '../parse/read-log.ts';
import { formatFileCursor } from '../sources/file/cursor.ts';

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

  it('delivers every entry of the log, in order, across both; only the cursors and entries that grew come twice', async () => {
    sidecar = await start();
    const first = await read(sidecar, undefined, (e) => e.length >= 2000);

    // The client goes away and comes back with its last id.
    const second = await read(sidecar, first.at(-1)!.id, (e) => e.length >= 2000);

    // The sidecar is killed; the runner keeps writing; a new sidecar starts.
    await sidecar.stop('SIGKILL');
    const tail = readFileSync(log, 'utf8').split('\n').slice(0, 60).join('\n') + '\n';
    appendFileSync(log, tail.replaceAll('2025-11-24 00:', '2025-11-24 23:'));
    sidecar = await start();
    const expected: Entry[] = [];
    // The same log parsed in one go, with the file source's cursors for that file.
    await parseFile(
      log,
      (batch) => expected.push(...batch),
      (offset) => formatFileCursor('2025-11-24', 0, offset),
    );
    // Until the last entry came complete (it too may come early, then again with its last lines).
    const last = expected.at(-1)!;
    const third = await read(
      sidecar,
      second.at(-1)!.id,
      (e) => e.at(-1)?.id === last.id && e.at(-1)!.text === last.text,
    );

    // Each resumed read starts with the entry at its cursor, sent again.
    expect(second[0]!.id).toBe(first.at(-1)!.id);
    expect(third[0]!.id).toBe(second.at(-1)!.id);
    // Within a read, ids only go forward; one comes again only right after itself, with more text.
    const resent: string[] = [];
    for (const entries of [first, second, third]) {
      for (let i = 1; i < entries.length; i++) {
        const [before, entry] = [entries[i - 1]!, entries[i]!];
        if (entry.id === before.id) {
          resent.push(entry.id);
          expect(entry.text?.length ?? 0, entry.id).toBeGreaterThan(before.text?.length ?? 0);
        } else expect(entry.id > before.id, `${before.id} then ${entry.id}`).toBe(true);
      }
    }
    // Stored by id, as the PWA stores them (a copy sent later replaces the one before): every entry of the
    // log, in order, none missing, each complete. Nothing else came twice: besides the re-sends at once
    // above, the only ids delivered twice are the two resume cursors.
    const all = [...first, ...second, ...third];
    const stored = new Map(all.map((e) => [e.id, e]));
    expect([...stored.keys()]).toEqual(expected.map((e) => e.id));
    expect([...stored.values()]).toEqual(expected);
    expect(all.length - stored.size, `re-sent at once: ${resent.join(' ')}`).toBe(2 + resent.length);
  });
});
