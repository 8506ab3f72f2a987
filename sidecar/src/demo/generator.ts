// A deterministic, realistic runner-node log, random-access by block: block b holds TASKS_PER_BLOCK task
// executions (overlapping, up to 4 slots) with every message shape of runner-node-logs.md, spans BLOCK_SECONDS
// of virtual time, and comes with the ground truth of what it contains. generateBlock is pure: the same
// block with the same options always yields the same lines.
import { API_TASKS, CHAINS, FUNCTION_TASKS, noiseEntry, REQUESTERS, STDERR_TEXTS } from './catalog.ts';
import { jsonLines, type JsonStyle } from './format.ts';
import { invoice, invoicePaid, metrics, taskCreated, type Layout, type Task } from './messages.ts';
import { Rng } from './random.ts';
import { render, type Ev } from './render.ts';
import { scheduleExecutions, scheduleInvoices, SLOT_TOTAL, type ExecPlan } from './schedule.ts';

export const TASKS_PER_BLOCK = 8;
export const BLOCK_SECONDS = 240;
export const BLOCK_MS = BLOCK_SECONDS * 1000;
export const RUNNER_VERSION = '2.0.0-beta.5';
/** A made-up worker address for the demo. */
export const DEFAULT_ADDRESS = '0x7e57a3c1b9d24f6085e1c0a9b3d2f4e6a8c0b1d3';
export const DEFAULT_SEED = 1;
export const DEFAULT_START_MS = Date.UTC(2025, 10, 24);
export { SLOT_TOTAL };

export interface GenerateOptions {
  seed?: number;
  /** The worker's address (0x + 40 hex), the same on every line of the log. */
  address?: string;
  /** Wall-clock ms of block 0's start. */
  startMs?: number;
  /** Virtual seconds per wall-clock second: timestamps advance 1/speed as fast as the offsets. */
  speed?: number;
  /** Executions in this block, at most TASKS_PER_BLOCK (a log whose task count is not a multiple of 8). */
  tasks?: number;
}

export interface GeneratedLine {
  /** Virtual ms since the block's start; continuation lines share their first line's offset. */
  offsetMs: number;
  text: string;
}

export interface TruthExecution {
  executionId: string;
  taskId: string;
  kind: 'function' | 'api';
  chainId: string;
  blockNumber: number;
  outcome: 'completed' | 'failed';
  exitCode?: number;
  elapsedMs?: number;
  steps?: number;
  memoryPeak?: number;
  cached?: boolean;
}

export interface TruthInvoice {
  invoiceId: string;
  executionId: string;
  /** Sum of total_steps_computed over the line items (function tasks). */
  steps?: number;
  /** The amount of the `pay` line item, whose account is the node's own address. */
  toNode: number;
  /** The transaction hash of its invoice_paid notice; absent when the log has no notice for it. */
  txHash?: string;
}

export interface GeneratedBlock {
  lines: GeneratedLine[];
  /** Executions in the order their task_created lines appear; invoices in the order of their lines. */
  truth: { executions: TruthExecution[]; invoices: TruthInvoice[] };
}

/** The wall-clock ms of a line: the block's start plus its offset, both scaled by 1/speed. */
export function lineWallMs(block: number, offsetMs: number, options: GenerateOptions = {}): number {
  const speed = options.speed ?? 1;
  return (options.startMs ?? DEFAULT_START_MS) + (block * BLOCK_MS + offsetMs) / speed;
}

function drawTask(rng: Rng, b: number): Task & { plan: ExecPlan; chainBlockSeconds: number } {
  const api = rng.chance(0.1);
  const pool = api ? API_TASKS : FUNCTION_TASKS;
  const spec = rng.weighted(
    pool,
    pool.map((s) => s.weight),
  );
  const chain = rng.weighted(
    CHAINS,
    CHAINS.map((c) => c.weight),
  );
  const failed = rng.chance(0.08);
  const cached = !api && rng.chance(0.75);
  let elapsedMs = rng.logNormal(spec.medianMs, api ? 0.6 : 0.9) + (api || cached ? 0 : rng.int(300, 2_500));
  // A heavy tail: now and then a long execution, during which shorter ones come and go in other slots.
  if (!api && rng.chance(0.12)) elapsedMs *= rng.int(6, 25);
  elapsedMs = Math.min(150_000, Math.max(3, elapsedMs));
  return {
    executionId: rng.uuid(),
    spec,
    chainId: chain.chainId,
    // Height at the block's start; the arrival time within the block is added once it is known.
    blockNumber: chain.baseHeight + Math.floor((b * BLOCK_SECONDS) / chain.blockSeconds) - rng.int(1, 3),
    chainBlockSeconds: chain.blockSeconds,
    requester: rng.pick(REQUESTERS),
    createdMs: 0,
    failed,
    exitCode: failed ? rng.pick([1, 1, 1, 2, 101, 134, 137]) : 0,
    cached,
    elapsedMs,
    steps: 0,
    memoryPeak: 0,
    plan: { kind: spec.kind, elapsedMs },
  };
}

export function generateBlock(b: number, options: GenerateOptions = {}): GeneratedBlock {
  const address = options.address ?? DEFAULT_ADDRESS;
  const rng = new Rng(options.seed ?? DEFAULT_SEED, b, 0x7a5c);
  const n = Math.min(TASKS_PER_BLOCK, Math.max(0, options.tasks ?? TASKS_PER_BLOCK));
  const evs: Ev[] = [];
  const add = (t: number, level: string, message: string, extra: Partial<Ev> = {}): void => {
    evs.push({ t, seq: evs.length, level, message, ...extra });
  };
  const withJson = (head: string, json: Record<string, unknown>, style: JsonStyle, nextLine: boolean) => {
    const lines = jsonLines(json, style);
    if (lines.length === 1) return { message: `${head} ${lines[0]}` };
    return nextLine
      ? { message: head, continuation: lines }
      : { message: `${head} ${lines[0]}`, continuation: lines.slice(1) };
  };

  // Who, what, and when.
  const tasks = Array.from({ length: n }, () => drawTask(rng, b));
  const times = scheduleExecutions(
    rng,
    tasks.map((t) => t.plan),
  );
  const executions: TruthExecution[] = [];
  const invoices: TruthInvoice[] = [];
  const invoiced: { task: Task; completed: number }[] = [];
  const invoiceAt: number[] = [];

  if (b === 0) {
    add(300, 'info', `Node with address ${address} requested registration`);
    add(1_200, 'info', `Node with address ${address} registered successfully`);
    add(1_250, 'info', 'Connected to nats://nats.truebit.io:4222', {
      component: `transport-nats:${RUNNER_VERSION}`,
    });
  }

  tasks.forEach((task, i) => {
    const tm = times[i]!;
    const id = task.executionId;
    task.createdMs = lineWallMs(b, tm.received, options);
    task.blockNumber += Math.floor(tm.received / 1000 / task.chainBlockSeconds);
    task.elapsedMs = tm.elapsedMs;
    task.steps = Math.min(task.spec.gasLimit, Math.round(task.elapsedMs * rng.int(40_000, 160_000)));
    if (task.failed && task.exitCode === 1 && rng.chance(0.3)) task.steps = task.spec.gasLimit;
    const pages = Math.max(1, Math.round((task.spec.memory * (0.6 + rng.next())) / 65_536));
    task.memoryPeak =
      task.failed && task.exitCode === 137
        ? task.spec.memoryLimit
        : Math.min(pages * 65_536, task.spec.memoryLimit);

    const layout = rng.weighted<Layout>(['message', 'payload', 'flat'], [32, 25, 43]);
    const created = taskCreated(rng, task, address, layout);
    const createdStyle: JsonStyle = rng.chance(0.07) ? 'pretty' : 'compact';
    add(tm.received, 'info', '', {
      received: id,
      ...withJson('Message received from task_created:', created, createdStyle, false),
    });
    if (tm.downloaded !== undefined)
      add(tm.downloaded, 'info', `Task ${task.spec.taskPath} downloaded successfully`);
    add(tm.semReceived, 'info', 'Semaphore TaskSubscriber message received');
    add(tm.acquired, 'info', '', {
      slot: { subscriber: 'TaskSubscriber', acquire: true, short: rng.chance(0.02) },
    });
    add(tm.startLine, 'info', 'Starting task execution', {
      start: { executionId: id, omit: rng.chance(0.4) },
    });

    const api = task.spec.kind === 'api';
    let truth: TruthExecution = {
      executionId: id,
      taskId: task.spec.taskId,
      kind: task.spec.kind,
      chainId: task.chainId,
      blockNumber: task.blockNumber,
      outcome: 'completed',
    };
    if (!api || task.failed || rng.chance(0.5)) {
      if (task.failed && !api && rng.chance(0.75)) {
        const [first, ...rest] = rng.pick(STDERR_TEXTS);
        const at = Math.max(tm.startLine + 1, tm.finish - rng.int(1, 200));
        add(
          at,
          rng.chance(0.8) ? 'debug' : 'error',
          `Command execution stderr: ${first}`,
          rest.length ? { continuation: rest } : {},
        );
      }
      const m = metrics(rng, task);
      const r = rng.next();
      const style: JsonStyle = api || r < 0.58 ? 'compact' : r < 0.84 ? 'pretty' : 'spaced';
      add(
        tm.finish,
        api || rng.chance(0.15) ? 'info' : 'debug',
        '',
        withJson('Command execution stdout:', m.json, style, true),
      );
      truth = {
        ...truth,
        ...m.truth,
        outcome: m.truth.exitCode !== undefined && m.truth.exitCode !== 0 ? 'failed' : 'completed',
      };
    }
    executions.push(truth);
    add(tm.published, 'info', 'Message published to compute_outcome');
    const suffix = !task.failed && rng.chance(0.1) ? ` {"executionId":"${id}","status":"ok"}` : '';
    add(tm.completed, 'info', `Execution ${id} completed${suffix}`);
    add(tm.released, 'info', '', {
      slot: { subscriber: 'TaskSubscriber', acquire: false, short: rng.chance(0.02) },
    });
    if (truth.outcome === 'completed' && rng.chance(0.97)) invoiced.push({ task, completed: tm.released });
  });

  const invTimes = scheduleInvoices(
    rng,
    invoiced.map((x) => x.completed),
  );
  invoiced.forEach(({ task }, k) => {
    const tm = invTimes[k]!;
    const invoiceId = rng.uuid();
    const json = invoice(rng, task, address, invoiceId);
    add(tm.semReceived, 'info', 'Semaphore InvoiceSubscriber message received');
    add(tm.acquired, 'info', '', { slot: { subscriber: 'InvoiceSubscriber', acquire: true, short: false } });
    const style: JsonStyle = rng.chance(0.06) ? 'pretty' : 'compact';
    add(tm.created, 'info', '', withJson('InvoiceSubscriber invoice created:', json, style, false));
    add(tm.released, 'info', '', { slot: { subscriber: 'InvoiceSubscriber', acquire: false, short: false } });
    const paid = rng.chance(0.9) ? invoicePaid(rng, invoiceId) : undefined;
    if (paid) add(tm.paid, 'info', `Message received from invoice_paid: ${JSON.stringify(paid)}`);
    invoiceAt.push(tm.created);
    const toNode = (json.lineItem as { operation: string; amount: number }[]).find(
      (item) => item.operation === 'pay',
    )!.amount;
    invoices.push({
      invoiceId,
      executionId: task.executionId,
      ...(task.spec.kind !== 'api' && { steps: task.steps }),
      toNode,
      ...(paid && { txHash: paid.txHash as string }),
    });
  });
  // The truth lists invoices in log order.
  const invoiceOrder = invoices.map((_, k) => k).sort((x, y) => invoiceAt[x]! - invoiceAt[y]! || x - y);

  for (let k = 0; k < 3; k++)
    if (rng.chance(0.3)) {
      const e = noiseEntry(rng, rng.pick(CHAINS).chainId);
      add(rng.int(500, BLOCK_MS - 500), e.level, e.message, {
        component: e.component,
        continuation: e.continuation,
      });
    }

  const runner = `worker-runner-node-${address}:${RUNNER_VERSION}`;
  const lines = render(evs, runner, (t) => lineWallMs(b, t, options), `block ${b}`);
  return { lines, truth: { executions, invoices: invoiceOrder.map((k) => invoices[k]!) } };
}
