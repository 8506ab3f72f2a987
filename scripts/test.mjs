#!/usr/bin/env node
// Runs every test and check (unit and integration tests with vitest, end-to-end tests with Playwright), and
// prints the one summary line CI reads: "N passed, N failed".
// The static checks (types, lint, format) count as one test each. vitest's own summary is not a format CI
// recognises, so its counts come from its JSON report, and each failed test is listed with the start of its
// error. Arguments go to vitest, and then only vitest runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'truwatch-test-'));
const report = join(dir, 'vitest.json');
const e2eReport = join(dir, 'playwright.json');
const args = process.argv.slice(2);
const bin = (name) => join('node_modules', '.bin', name);
const checks = args.length
  ? []
  : [
      ['types (svelte-check, tsc)', 'npm', ['run', '-s', 'check']],
      ['lint (eslint)', bin('eslint'), ['.']],
      ['format (prettier)', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
    ];

// SvelteKit's generated tsconfig (web/tsconfig.json extends it) must exist before anything compiles web/.
spawnSync(process.execPath, ['node_modules/@sveltejs/kit/svelte-kit.js', 'sync'], { stdio: 'inherit' });

// The container tests build images and keep both cores busy for minutes: they run by themselves after the
// others, so that no timing-sensitive test shares the machine with them.
const ISOLATED = 'deploy/deploy.test.ts';
const vitestRuns = (
  args.length
    ? [[report, args]]
    : [
        [report, ['--exclude', ISOLATED]],
        [join(dir, 'vitest-isolated.json'), [ISOLATED]],
      ]
).map(([file, extra]) => ({
  file,
  status: spawnSync(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${file}`,
      ...extra,
    ],
    { stdio: 'inherit' },
  ).status,
}));

/** The start of a failure message, indented: the summary at the end of a long log says why, not only what. */
const firstLines = (message) =>
  message
    .split('\n')
    .filter((line) => !/node_modules|^\s+at new Promise/.test(line))
    .slice(0, 8)
    .map((line) => `    ${line}`)
    .join('\n');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, command, commandArgs] of checks) {
  const check = spawnSync(command, commandArgs, { stdio: 'inherit' });
  if (check.status === 0) passed++;
  else {
    failed++;
    console.error(`check failed: ${name}`);
  }
  console.log(`check ${check.status === 0 ? 'passed' : 'FAILED'}: ${name}`);
}
for (const { file } of vitestRuns) {
  try {
    const result = JSON.parse(readFileSync(file, 'utf8'));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    skipped += result.numPendingTests + result.numTodoTests;
    // A file that failed to load, or whose hook (beforeAll, afterAll…) failed while its tests passed, is not in
    // the failed tests: count it as a failure of its own.
    for (const r of result.testResults) {
      const testFailed = r.assertionResults.some((t) => t.status === 'failed');
      if (r.status === 'failed' && !testFailed) {
        failed++;
        const what = r.assertionResults.length === 0 ? 'failed to load' : 'failed outside its tests (a hook)';
        console.error(`test: ${r.name} ${what}: ${r.message ?? ''}`);
      }
      for (const t of r.assertionResults)
        if (t.status === 'failed') {
          console.error(`test failed: ${r.name} > ${t.fullName}`);
          console.error(firstLines(t.failureMessages?.[0] ?? ''));
        }
    }
  } catch (error) {
    console.error(`test: no vitest report (${error.message})`);
    failed++;
  }
}
// vitest failing with every test and file passed (an unhandled error between tests) is a failure too.
for (const run of vitestRuns) {
  if (run.status !== 0 && failed === 0) {
    failed++;
    console.error(
      `test: vitest exited with status ${run.status} though no test failed: see its output above`,
    );
  }
}
// The end-to-end tests (Playwright, Debian's Chromium), unless only some unit tests were asked for.
let e2eStatus = 0;
if (!args.length) {
  const e2e = spawnSync(
    process.execPath,
    ['node_modules/@playwright/test/cli.js', 'test', '--reporter=list,json'],
    {
      stdio: 'inherit',
      env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: e2eReport },
    },
  );
  e2eStatus = e2e.status ?? 1;
  try {
    const stats = JSON.parse(readFileSync(e2eReport, 'utf8')).stats;
    passed += stats.expected + stats.flaky;
    failed += stats.unexpected;
    skipped += stats.skipped;
    if (stats.expected + stats.unexpected + stats.flaky === 0) failed++;
  } catch (error) {
    console.error(`test: no playwright report (${error.message})`);
    failed++;
  }
}
rmSync(dir, { recursive: true, force: true });

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || vitestRuns.some((r) => r.status !== 0) || e2eStatus !== 0 ? 1 : 0);
