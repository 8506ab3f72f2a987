// npm run bench -- resume
// A page reload on a big day: the real sidecar (the built bundle) on a generated 20 000-task day, then
// GET /api/events read in full and resumed from a cursor near the end, each timed until the stream says the
// source is live. Budget: the resume is live in under 1 s and in under 5 % of the full read's time.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { buildSidecar } from '../scripts/build-sidecar.ts';
import { startSidecarProcess } from '../test/support/sidecar-process.ts';
import { openEvents } from '../test/support/sse-client.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const RUNS = 3;
/** The resume cursor: this share of the day's entries comes after it. */
const TAIL_SHARE = 0.01;

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-resume-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const file = join(logs, `${new Date().toISOString().slice(0, 10)}.log`);
await writeGeneratedLog(file, { tasks: TASKS, startMs: Date.now() - 2 * 24 * 3_600_000 });
await buildSidecar();
const sidecar = await startSidecarProcess({ SOURCE: `file:${logs}`, DATA_DIR: join(dir, 'data') });

/** Reads the stream until its source is live: the time that took, and the ids of the entries it sent. */
async function untilLive(after?: string): Promise<{ ms: number; ids: string[] }> {
  const controller = new AbortController();
  const t0 = performance.now();
  const events = await openEvents(sidecar.url, sidecar.apiKey, {
    signal: controller.signal,
    ...(after !== undefined && { after }),
  });
  const ids: string[] = [];
  try {
    for await (const event of events) {
      if (event.event === 'batch') for (const e of JSON.parse(event.data).entries) ids.push(e.id);
      else if (event.event === 'entry') ids.push(JSON.parse(event.data).id);
      else if (event.event === 'status' && JSON.parse(event.data).state === 'live')
        return { ms: performance.now() - t0, ids };
    }
    throw new Error('the stream ended before it was live');
  } finally {
    controller.abort();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // The sidecar's own follower reads the day first (and leaves its checkpoints), as on a node that runs.
  await untilLive();
  const full: number[] = [];
  let ids: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await untilLive();
    full.push(run.ms);
    ids = run.ids;
  }
  const cursor = ids[Math.floor(ids.length * (1 - TAIL_SHARE))]!;
  const expected = ids.length - ids.indexOf(cursor);
  const resume: number[] = [];
  let exact = true;
  for (let i = 0; i < RUNS; i++) {
    const run = await untilLive(cursor);
    resume.push(run.ms);
    const after = run.ids.filter((id) => id >= cursor);
    exact &&= after.length === expected && after[0] === cursor;
  }
  const fullMs = median(full);
  const resumeMs = median(resume);
  const share = resumeMs / fullMs;
  writeReport('resume', {
    log: { tasks: TASKS, entries: ids.length, bytes: statSync(file).size },
    cursor: { entriesAfter: expected },
    fullReadMs: Math.round(fullMs),
    resumeMs: Math.round(resumeMs),
    resumeShare: Number(share.toFixed(3)),
    runs: { fullReadMs: full.map(Math.round), resumeMs: resume.map(Math.round) },
    resumeDeliveredEveryEntryAfterTheCursor: exact,
    budget: { resumeMs: 1000, resumeShare: 0.05 },
    withinBudget: resumeMs < 1000 && share < 0.05 && exact,
  });
} finally {
  await sidecar.stop();
  rmSync(dir, { recursive: true, force: true });
}
