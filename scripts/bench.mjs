#!/usr/bin/env node
// npm run bench: every benchmark in turn, each writing bench/results/<name>.json; exits non-zero when one fails
// to run (a figure outside its budget is reported in its JSON as withinBudget: false, not as a failure).
import { spawnSync } from 'node:child_process';

const benches = [
  'bench/parse.ts',
  'bench/parse-cli.ts',
  'bench/parse-instructions.ts',
  'bench/sidecar-rss.ts',
  'bench/first-load.ts',
  'bench/task-search.ts',
  'bench/live-latency.ts',
  'bench/backfill.ts',
  'bench/resume.ts',
  'bench/aggregator-throughput.ts',
  'bench/aggregator-nodes.ts',
  'bench/alerts.ts',
];
const only = process.argv.slice(2);
let failed = 0;
for (const bench of benches) {
  if (only.length && !only.some((name) => bench.includes(name))) continue;
  console.log(`bench: ${bench}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', bench], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
