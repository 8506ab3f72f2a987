// The parser's command and the line splitter counted in machine instructions (valgrind's callgrind) rather than
// seconds: on a shared machine the same command's time varies by ±25 %, more than most changes to the parser,
// while this count repeats within ±0.1 %. Node runs with --single-threaded: the collector and the optimising
// compiler run on the main thread, so the count is the same from run to run, and it includes what they
// normally do on helper threads. Each command also runs on an empty
// file: the difference is the work the log itself costs. It takes minutes (callgrind is ~50 times slower).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { writeReport } from './report.ts';
import { SPLITTER } from './splitter.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const PARSE = new URL('../scripts/parse.mjs', import.meta.url).pathname;
const NODE_FLAGS = ['--single-threaded'];

function hasValgrind(): boolean {
  return spawnSync('valgrind', ['--version']).status === 0;
}

/** Millions of instructions `node NODE_FLAGS args` executes, from callgrind's summary. */
function instructions(args: string[]): number {
  const child = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      '--smc-check=all-non-file', // code the JIT writes into memory is code too
      process.execPath,
      ...NODE_FLAGS,
      ...args,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const collected = /Collected : (\d+)/.exec(child.stderr);
  if (child.status !== 0 || !collected)
    throw new Error(`valgrind node ${args.join(' ')} exited ${child.status}: ${child.stderr.slice(-2000)}`);
  return Math.round(Number(collected[1]) / 1e6);
}

if (!hasValgrind()) {
  console.error('parse-instructions: needs valgrind (Debian: apt-get install valgrind)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-'));
try {
  const path = join(dir, 'runner.log');
  const empty = join(dir, 'empty.log');
  writeFileSync(empty, '');
  const truth = await writeGeneratedLog(path, { tasks: TASKS });
  // Not counted: builds the command's bundle if needed.
  spawnSync(process.execPath, [PARSE, empty, '--summary']);

  const cli = instructions([PARSE, path, '--summary']);
  const cliStart = instructions([PARSE, empty, '--summary']);
  const splitter = instructions(['-e', SPLITTER, path]);
  const splitterStart = instructions(['-e', SPLITTER, empty]);
  const perByte = (n: number) => Number(((n * 1e6) / truth.bytes).toFixed(1));
  writeReport('parse-instructions', {
    tasks: TASKS,
    bytes: truth.bytes,
    command: 'node scripts/parse.mjs FILE --summary',
    nodeFlags: NODE_FLAGS,
    // Millions of instructions: the whole process, the same on an empty file, and the difference.
    cliMillions: cli,
    cliStartMillions: cliStart,
    cliLogMillions: cli - cliStart,
    splitterMillions: splitter,
    splitterStartMillions: splitterStart,
    splitterLogMillions: splitter - splitterStart,
    cliPerByte: perByte(cli - cliStart),
    splitterPerByte: perByte(splitter - splitterStart),
    // As parse-cli's ratio of times, but of instructions: the splitter's over the command's.
    ratio: Number((splitter / cli).toFixed(3)),
    logRatio: Number(((splitter - splitterStart) / (cli - cliStart)).toFixed(3)),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
