// A whole generated log as text, block by block: what the CLI writes and benchmarks read.
import { decorateLine } from './format.ts';
import {
  DEFAULT_ADDRESS,
  DEFAULT_SEED,
  DEFAULT_START_MS,
  generateBlock,
  lineWallMs,
  TASKS_PER_BLOCK,
  type GeneratedBlock,
} from './generator.ts';

export interface GeneratedLogOptions {
  /** Task executions in the log (TASKS_PER_BLOCK per block; the last block may hold fewer). */
  tasks: number;
  seed?: number;
  /** Wall-clock ms of the log's first block. */
  startMs?: number;
  address?: string;
  /** Decorate a deterministic fraction of lines (compose prefix, ANSI, Docker timestamp, CRLF). */
  decorate?: boolean;
}

export interface GeneratedChunk {
  block: number;
  /** The block's lines, each ended by `\n` (CRLF on decorated lines that chose it). */
  text: string;
  lineCount: number;
  truth: GeneratedBlock['truth'];
}

export function blockCount(tasks: number): number {
  return Math.ceil(Math.max(0, tasks) / TASKS_PER_BLOCK);
}

export function* generatedLog(options: GeneratedLogOptions): Generator<GeneratedChunk> {
  const blocks = blockCount(options.tasks);
  const base = {
    seed: options.seed ?? DEFAULT_SEED,
    startMs: options.startMs ?? DEFAULT_START_MS,
    address: options.address ?? DEFAULT_ADDRESS,
  };
  for (let b = 0; b < blocks; b++) {
    const tasks = Math.min(TASKS_PER_BLOCK, options.tasks - b * TASKS_PER_BLOCK);
    const { lines, truth } = generateBlock(b, { ...base, tasks });
    let text = '';
    if (options.decorate)
      lines.forEach((line, i) => {
        text += `${decorateLine(line.text, lineWallMs(b, line.offsetMs, base), b, i)}\n`;
      });
    else for (const line of lines) text += `${line.text}\n`;
    yield { block: b, text, lineCount: lines.length, truth };
  }
}
