// A temporary runner log directory holding one generated day (2025-11-24) of `tasks` tasks, for the benches that
// start a sidecar on it, with the number of entries the parser makes of it.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { parseFile } from '../sidecar/src/parse/read-log.ts';

export async function generatedLogDir(name: string, tasks: number) {
  const dir = mkdtempSync(join(tmpdir(), `truwatch-bench-${name}-`));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const path = join(logs, '2025-11-24.log');
  await writeGeneratedLog(path, { tasks, startMs: Date.parse('2025-11-24T00:00:00Z') });
  let entries = 0;
  await parseFile(path, (batch) => (entries += batch.length));
  return { dir, logs, path, entries };
}
