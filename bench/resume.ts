// npm run bench -- resume
// A page reload on a big day: the real sidecar (the built bundle) on a generated 20 000-task day, read from a log
// file and from a container's log through a real Docker Engine API (podman), then GET /api/events read in full and
// resumed from a cursor near the end, each timed until the stream says the source is live. Budget: the resume is
// live in under 1 s and in under 5 % of the full read's time, for each source.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { writeGeneratedLog } from '../sidecar/src/demo/write-log.ts';
import { buildSidecar } from '../scripts/build-sidecar.ts';
import { startEngine } from '../test/support/podman-engine.ts';
import { startSidecarProcess, type SidecarProcess } from '../test/support/sidecar-process.ts';
import { openEvents } from '../test/support/sse-client.ts';
import { writeReport } from './report.ts';

const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const RUNS = 3;
/** The resume cursor: this share of the day's entries comes after it. */
const TAIL_SHARE = 0.01;
const CONTAINER = 'truwatch-bench-runner';

const dir = mkdtempSync(join(tmpdir(), 'truwatch-bench-resume-'));
const logs = join(dir, 'logs');
mkdirSync(logs);
const file = join(logs, `${new Date().toISOString().slice(0, 10)}.log`);
await writeGeneratedLog(file, { tasks: TASKS, startMs: Date.now() - 2 * 24 * 3_600_000 });
await buildSidecar();

/** Reads the stream until its source is live: the time that took, and the ids of the entries it sent. */
async function untilLive(sidecar: SidecarProcess, after?: string): Promise<{ ms: number; ids: string[] }> {
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

/** Writes `text` into `count` files of whole lines in `dir`, named in order. */
function writePieces(text: Buffer, dir: string, count: number): void {
  mkdirSync(dir);
  let from = 0;
  for (let i = 0; i < count; i++) {
    const to =
      i === count - 1 ? text.length : text.indexOf(10, Math.floor(((i + 1) * text.length) / count)) + 1;
    writeFileSync(join(dir, `piece-${String(i).padStart(2, '0')}`), text.subarray(from, to));
    from = to;
  }
}

/** How long the engine takes to answer a log request for nothing: from a second after its last line. */
async function engineScanMs(socketPath: string): Promise<number> {
  const get = (path: string) =>
    new Promise<{ ms: number; body: string }>((resolve, reject) => {
      const t0 = performance.now();
      request({ socketPath, path }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ ms: performance.now() - t0, body }));
      })
        .on('error', reject)
        .end();
    });
  const logs = `/containers/${CONTAINER}/logs?stdout=1&stderr=1&timestamps=1`;
  const last = (await get(`${logs}&tail=1`)).body.slice(8, 28);
  const { ms, body } = await get(`${logs}&since=${Math.floor(Date.parse(last) / 1000) + 1}`);
  if (body.length !== 0) throw new Error(`the engine answered ${body.length} bytes after the last line`);
  return Math.round(ms);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Full reads and resumes of one sidecar; its figures. */
async function measure(env: Record<string, string>) {
  const sidecar = await startSidecarProcess(env, { timeoutMs: 60_000 });
  try {
    // The sidecar's own follower reads the day first (and leaves its checkpoints), as on a node that runs.
    await untilLive(sidecar);
    const full: number[] = [];
    let ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await untilLive(sidecar);
      full.push(run.ms);
      ids = run.ids;
    }
    const cursor = ids[Math.floor(ids.length * (1 - TAIL_SHARE))]!;
    const expected = ids.length - ids.indexOf(cursor);
    const resume: number[] = [];
    let exact = true;
    for (let i = 0; i < RUNS; i++) {
      const run = await untilLive(sidecar, cursor);
      resume.push(run.ms);
      const after = run.ids.filter((id) => id >= cursor);
      exact &&= after.length === expected && after[0] === cursor;
    }
    const fullMs = median(full);
    const resumeMs = median(resume);
    const share = resumeMs / fullMs;
    return {
      entries: ids.length,
      cursor: { entriesAfter: expected },
      fullReadMs: Math.round(fullMs),
      resumeMs: Math.round(resumeMs),
      resumeShare: Number(share.toFixed(3)),
      runs: { fullReadMs: full.map(Math.round), resumeMs: resume.map(Math.round) },
      resumeDeliveredEveryEntryAfterTheCursor: exact,
      withinBudget: resumeMs < 1000 && share < 0.05 && exact,
    };
  } finally {
    await sidecar.stop();
  }
}

try {
  const fromFile = await measure({ SOURCE: `file:${logs}`, DATA_DIR: join(dir, 'data-file') });
  // The same day printed by a container in 40 pieces a second apart: a resume asks the Docker API for the log from
  // its checkpoint's second, so that second's piece (1/40 of the day) is read again; a runner writes a few lines a
  // second, not 12 000.
  const engine = await startEngine();
  let fromDocker;
  try {
    const pieces = join(dir, 'pieces');
    writePieces(readFileSync(file), pieces, 40);
    // It says when it has printed the day in a file of the host's: a file's existence cannot be half-written, unlike
    // the log's last line (podman's log reader fails on a line still being written).
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    const script = 'for f in /pieces/*; do cat $f; sleep 1; done; touch /marks/printed; sleep 3600 & wait $!';
    await engine.run(CONTAINER, script, { args: ['-v', `${pieces}:/pieces:ro`, '-v', `${marks}:/marks`] });
    const deadline = Date.now() + 180_000;
    while (!existsSync(join(marks, 'printed'))) {
      if (Date.now() > deadline) throw new Error('the container did not print the day');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const measured = await measure({
      SOURCE: 'docker',
      CONTAINER_NAME: CONTAINER,
      DOCKER_SOCKET_PATH: engine.socketPath,
      DATA_DIR: join(dir, 'data-docker'),
    });
    fromDocker = { ...measured, engineScanMs: await engineScanMs(engine.socketPath) };
  } finally {
    await engine.close();
  }
  writeReport('resume', {
    log: { tasks: TASKS, bytes: statSync(file).size },
    file: fromFile,
    // engineScanMs: the engine's answer to a log request from a second after the last line (no line): it scans
    // its whole log file for any `since`, which no checkpoint saves.
    docker: fromDocker,
    budget: { resumeMs: 1000, resumeShare: 0.05 },
    // The budget is the file source's (the Docker source's resume cannot be faster than the engine's scan).
    withinBudget: fromFile.withinBudget,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
