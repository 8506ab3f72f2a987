// Writes a generated runner-node log (and optionally its ground truth) for tests, benchmarks and demos:
//   tsx scripts/generate-log.ts --tasks 20000 [--out file] [--decorate] [--seed N]
//                               [--start 2025-11-24T00:00:00Z] [--truth truth.json] [--address 0x…]
// Without --out the log goes to stdout; a summary goes to stderr.
import { createWriteStream, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ADDRESS,
  DEFAULT_SEED,
  DEFAULT_START_MS,
  type TruthExecution,
  type TruthInvoice,
} from '../sidecar/src/demo/generator.ts';
import { blockCount, generatedLog } from '../sidecar/src/demo/log-text.ts';

export interface WriteLogOptions {
  tasks: number;
  seed?: number;
  decorate?: boolean;
  startMs?: number;
  address?: string;
}

export interface GeneratedTruth {
  seed: number;
  startMs: number;
  address: string;
  tasks: number;
  blocks: number;
  lines: number;
  bytes: number;
  executions: TruthExecution[];
  invoices: TruthInvoice[];
}

/** Resolves on `event` or on an error of the stream (the caller checks for the error), leaving no listener. */
function settle(stream: NodeJS.WritableStream, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off(event, done);
      stream.off('error', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('error', done);
  });
}

/** Writes the log to `path` (stdout when undefined or `-`), streaming with backpressure; returns the truth. */
export async function writeGeneratedLog(
  path: string | undefined,
  options: WriteLogOptions,
): Promise<GeneratedTruth> {
  const toStdout = path === undefined || path === '-';
  const out = toStdout ? process.stdout : createWriteStream(path);
  let failure: Error | undefined;
  const onError = (error: Error) => (failure = error);
  out.on('error', onError);
  const truth: GeneratedTruth = {
    seed: options.seed ?? DEFAULT_SEED,
    startMs: options.startMs ?? DEFAULT_START_MS,
    address: options.address ?? DEFAULT_ADDRESS,
    tasks: options.tasks,
    blocks: blockCount(options.tasks),
    lines: 0,
    bytes: 0,
    executions: [],
    invoices: [],
  };
  for (const chunk of generatedLog({
    ...options,
    seed: truth.seed,
    startMs: truth.startMs,
    address: truth.address,
  })) {
    if (failure) throw failure;
    truth.lines += chunk.lineCount;
    truth.bytes += Buffer.byteLength(chunk.text);
    truth.executions.push(...chunk.truth.executions);
    truth.invoices.push(...chunk.truth.invoices);
    if (!out.write(chunk.text)) await settle(out, 'drain');
  }
  if (!toStdout) {
    const finished = settle(out, 'finish');
    out.end();
    await finished;
  }
  out.off('error', onError);
  if (failure) throw failure;
  return truth;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '20000' },
      out: { type: 'string' },
      decorate: { type: 'boolean', default: false },
      seed: { type: 'string' },
      start: { type: 'string' },
      truth: { type: 'string' },
      address: { type: 'string' },
    },
  });
  const tasks = Number(values.tasks);
  if (!Number.isInteger(tasks) || tasks < 0)
    throw new Error(`--tasks must be a whole number, not ${values.tasks}`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`--seed must be an integer, not ${values.seed}`);
  const startMs = values.start === undefined ? undefined : Date.parse(values.start);
  if (startMs !== undefined && Number.isNaN(startMs))
    throw new Error(`--start is not a date: ${values.start}`);
  if (values.address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(values.address))
    throw new Error(`--address must be 0x and 40 hex digits`);

  const began = performance.now();
  const truth = await writeGeneratedLog(values.out, {
    tasks,
    seed,
    startMs,
    address: values.address,
    decorate: values.decorate,
  });
  if (values.truth) writeFileSync(values.truth, JSON.stringify(truth));
  const seconds = (performance.now() - began) / 1000;
  const mb = (truth.bytes / 1e6).toFixed(1);
  process.stderr.write(
    `generate-log: ${truth.tasks} tasks, ${truth.lines} lines, ${truth.bytes} bytes (${mb} MB) in ${seconds.toFixed(2)} s\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
    process.stderr.write(`generate-log: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
