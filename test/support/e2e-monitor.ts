/// <reference lib="dom" />
// Helpers for the end-to-end tests: a generated runner log in a log directory, the real sidecar on it, and
// what the browser stored in IndexedDB.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { writeGeneratedLog, type GeneratedTruth } from '../../sidecar/src/demo/write-log.ts';
import { startSidecarProcess, type SidecarProcess } from './sidecar-process.ts';
import { generatedLog } from '../../sidecar/src/demo/log-text.ts';

export interface LogDir {
  dir: string;
  logs: string;
  file: string;
  truth: GeneratedTruth;
  /** Appends more generated tasks (from `startMs`, by default 4 minutes ago) to the log; returns their counts. */
  append(tasks: number, seed: number, startMs?: number): { executions: number; invoices: number };
  cleanup(): void;
}

const DAY_MS = 86_400_000;
/** A test that starts this close to a UTC midnight may cross it (a new day, a new pseudonym): it waits. */
const BEFORE_MIDNIGHT_MS = 6 * 60_000;

/**
 * Waits, when the clock is near a UTC midnight, until the log of `spanMs` fits in the new day: the tests check
 * today's figures, so the log stays within today, and just after midnight it would end in the future (its tasks
 * then leave only once they finished, minutes later). The test's timeout grows by the wait.
 */
export async function awayFromMidnight(spanMs: number): Promise<void> {
  const dayMs = Date.now() % DAY_MS;
  const clearMs = spanMs + 150_000;
  const waitMs =
    dayMs > DAY_MS - BEFORE_MIDNIGHT_MS ? DAY_MS - dayMs + clearMs : dayMs < clearMs ? clearMs - dayMs : 0;
  if (waitMs === 0) return;
  test.info().setTimeout(test.info().timeout + waitMs);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** How long a generated log of `tasks` tasks spans: 8 tasks per 4-minute block. */
export const logSpanMs = (tasks: number): number => Math.ceil(tasks / 8) * 240_000;

/** A runner log directory with `tasks` generated tasks, the last of them a few minutes ago. */
export async function logDir(tasks: number): Promise<LogDir> {
  const dir = mkdtempSync(join(tmpdir(), 'truwatch-e2e-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const day = new Date().toISOString().slice(0, 10);
  const file = join(logs, `${day}.log`);
  // 8 tasks per 4-minute block: start early enough that the log ends about now (but today, UTC).
  const spanMs = logSpanMs(tasks);
  const startMs = Math.max(Date.parse(`${day}T00:00:00Z`), Date.now() - spanMs - 60_000);
  const truth = await writeGeneratedLog(file, { tasks, startMs, seed: 11 });
  return {
    dir,
    logs,
    file,
    truth,
    append(more, seed, from = Date.now() - 240_000) {
      let executions = 0;
      let invoices = 0;
      for (const chunk of generatedLog({ tasks: more, seed, startMs: from })) {
        appendFileSync(file, chunk.text);
        executions += chunk.truth.executions.length;
        invoices += chunk.truth.invoices.length;
      }
      return { executions, invoices };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startFileSidecar(
  log: LogDir,
  port = '0',
  env: Record<string, string> = {},
): Promise<SidecarProcess> {
  return startSidecarProcess({
    SOURCE: `file:${log.logs}`,
    DATA_DIR: join(log.dir, 'data'),
    PORT: port,
    STATIC_DIR: new URL('../../build', import.meta.url).pathname,
    ...env,
  });
}

export interface StoredCounts {
  entries: number;
  tasks: number;
  invoices: number;
  completed: number;
  failed: number;
}

/**
 * Counts what the page's origin stored in IndexedDB (read with the plain IndexedDB API). The browser side is
 * a string: a function would be transpiled differently by tsx (benchmarks) and Playwright (tests).
 */
export function storedCounts(page: Page, options: { outcomes?: boolean } = {}): Promise<StoredCounts> {
  return page.evaluate(
    COUNT_STORED.replace('OUTCOMES', String(options.outcomes ?? true)),
  ) as Promise<StoredCounts>;
}

/**
 * Tasks per status need every task record read: leave them out when polling a large store. Before the app
 * made its database there is nothing stored: counting must not make an empty one in its place (opening a
 * database that does not exist creates it), so that open is aborted and counts as nothing stored.
 */
const COUNT_STORED = `(async (outcomes = OUTCOMES) => {
  const none = { entries: 0, tasks: 0, invoices: 0, completed: 0, failed: 0 };
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open('truwatch');
    let missing = false;
    request.onupgradeneeded = (event) => {
      if (event.oldVersion !== 0) return;
      missing = true;
      request.transaction.abort();
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => (missing ? resolve(undefined) : reject(request.error));
  });
  if (!db) return none;
  const read = (store, all) =>
    new Promise((resolve) => {
      if (!db.objectStoreNames.contains(store)) return resolve(all ? [] : 0);
      const s = db.transaction(store).objectStore(store);
      const request = all ? s.getAll() : s.count();
      request.onsuccess = () => resolve(request.result);
    });
  // Entries are stored in blocks: their counts are in the time index's keys, read without the blocks.
  const entries = () =>
    new Promise((resolve) => {
      if (!db.objectStoreNames.contains('blocks')) return resolve(0);
      let n = 0;
      const index = db.transaction('blocks').objectStore('blocks').index('[toMs+fromMs+first+count]');
      const request = index.openKeyCursor();
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return resolve(n);
        n += cursor.key[3];
        cursor.continue();
      };
    });
  const tasks = outcomes ? await read('tasks', true) : [];
  const counts = {
    entries: await entries(),
    tasks: outcomes ? tasks.length : await read('tasks', false),
    invoices: await read('invoices', false),
    completed: tasks.filter((t) => t.status === 'completed').length,
    failed: tasks.filter((t) => t.status === 'failed').length,
  };
  db.close();
  return counts;
})()`;

/**
 * For expect.poll: Playwright ends a poll at once when its callback throws, so a read that fails only for now
 * (a server still starting or restarting, a request timing out on a loaded machine) is returned as its error
 * text instead: the poll goes on, and shows that text if it times out.
 */
export function orError<T>(read: () => Promise<T>): () => Promise<T | string> {
  return () => read().catch((error: unknown) => `read failed: ${String(error)}`);
}

/** Waits until the connection badge says `state`. */
export async function waitForState(page: Page, state: string, timeout = 60_000): Promise<void> {
  await page.locator(`[data-state="${state}"]`).waitFor({ timeout });
}

/** Opens the app of `sidecar`, paired by its link, and waits until it is live and (given `log`) holds its tasks. */
export async function openPaired(page: Page, sidecar: SidecarProcess, log?: LogDir): Promise<void> {
  await page.goto(`${sidecar.url}/#token=${sidecar.apiKey}`);
  await waitForState(page, 'live');
  if (!log) return;
  // Every task stored and finished: what a test does next (federation sends finished tasks only) starts from all.
  const finished = log.truth.executions.length;
  await expect
    .poll(async () => {
      const stored = await storedCounts(page);
      return { tasks: stored.tasks, finished: stored.completed + stored.failed };
    })
    .toEqual({ tasks: finished, finished });
}
