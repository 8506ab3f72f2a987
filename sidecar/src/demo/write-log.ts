// Writes a generated runner-node log to a file or stdout, streaming with backpressure, and returns its ground
// truth: for the generate-log command, the tests and the benchmarks.
import { createWriteStream } from 'node:fs';
import {
  DEFAULT_ADDRESS,
  DEFAULT_SEED,
  DEFAULT_START_MS,
  type TruthExecution,
  type TruthInvoice,
} from './generator.ts';
import { blockCount, generatedLog } from './log-text.ts';

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
