// Writes a generated runner-node log (and optionally its ground truth) for tests, benchmarks and demos:
//   tsx scripts/generate-log.ts --tasks 20000 [--out file] [--decorate] [--seed N]
//                               [--start 2025-11-24T00:00:00Z] [--truth truth.json] [--address 0x…]
// Without --out the log goes to stdout; a summary goes to stderr.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';

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

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
  process.stderr.write(`generate-log: ${(error as Error).message}\n`);
  process.exit(1);
});
