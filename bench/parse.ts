// Parsing throughput: a generated 20 000-task runner-node log, in memory, through the line splitter and the
// parser on one core (the sidecar's own path, cursors included). Budget: at least 100 MB/s, and correct.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { EntryParser } from '../sidecar/src/parse/parser.ts';
import { offsetCursor } from '../sidecar/src/parse/read-log.ts';
import { Summarizer } from '../sidecar/src/parse/summary.ts';
import { LineSplitter } from '../sidecar/src/sources/lines.ts';
import type { SourceLine } from '../sidecar/src/sources/source.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const CHUNK = 64 * 1024;

function parseAll(log: Buffer, summarize: boolean): { lines: number; entries: number; summary?: Summarizer } {
  const parser = new EntryParser();
  const splitter = new LineSplitter();
  const summary = summarize ? new Summarizer() : undefined;
  let offset = 0;
  let entries = 0;
  const batch: SourceLine[] = [];
  const take = (batchEntries: ReturnType<EntryParser['push']>) => {
    entries += batchEntries.length;
    if (summary) for (const e of batchEntries) summary.add(e);
  };
  for (let at = 0; at < log.length; at += CHUNK) {
    for (const l of splitter.push(log.subarray(at, at + CHUNK))) {
      batch.push({ cursor: offsetCursor(offset), stream: 'stdout', text: l.text });
      offset += l.bytes;
      if (batch.length === 500) {
        take(parser.push(batch));
        batch.length = 0;
      }
    }
  }
  take(parser.push(batch));
  take(parser.flush());
  return { lines: parser.counters.lines, entries, ...(summary && { summary }) };
}

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-'));
try {
  const path = join(dir, 'runner.log');
  const truth = await writeGeneratedLog(path, { tasks: TASKS });
  const log = readFileSync(path);

  // Correctness first (not timed): every execution and its outcome as the generator wrote them.
  const checked = parseAll(log, true);
  const tasks = checked.summary!.result().tasks;
  const byId = new Map(tasks.map((t) => [t.executionId, t]));
  const wrong = truth.executions.filter((e) => byId.get(e.executionId)?.status !== e.outcome).length;

  parseAll(log.subarray(0, log.length / 10), false); // warm-up
  const runs: number[] = [];
  let result = checked;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    result = parseAll(log, false);
    runs.push((performance.now() - t0) / 1000);
  }
  const seconds = Math.min(...runs);
  const mbPerSecond = log.length / 1e6 / seconds;
  writeReport('parse', {
    tasks: TASKS,
    bytes: log.length,
    lines: result.lines,
    entries: result.entries,
    seconds: Number(seconds.toFixed(3)),
    runsSeconds: runs.map((r) => Number(r.toFixed(3))),
    mbPerSecond: Number(mbPerSecond.toFixed(1)),
    linesPerSecond: Math.round(result.lines / seconds),
    executionsExpected: truth.executions.length,
    executionsParsed: tasks.length,
    outcomesWrong: wrong,
    budget: { mbPerSecond: 100 },
    withinBudget: mbPerSecond >= 100 && wrong === 0 && tasks.length === truth.executions.length,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
