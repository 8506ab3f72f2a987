// The JSON documents of the demo log: the task_created transcript (three layouts), the metrics of
// `Command execution stdout`, the invoice and the invoice_paid notice. Each builder also reports the ground
// truth the document carries, so a field left out of the JSON is left out of the truth too.
import type { TaskSpec } from './catalog.ts';
import { PEER_WORKERS } from './catalog.ts';
import type { Rng } from './random.ts';

export interface Task {
  executionId: string;
  spec: TaskSpec;
  chainId: string;
  blockNumber: number;
  requester: string;
  /** Wall-clock ms of the task_created line. */
  createdMs: number;
  failed: boolean;
  exitCode: number;
  cached: boolean;
  elapsedMs: number;
  steps: number;
  memoryPeak: number;
}

export type Layout = 'flat' | 'payload' | 'message';

export function taskCreated(rng: Rng, task: Task, address: string, layout: Layout): Record<string, unknown> {
  const { spec } = task;
  const blockHash = `0x${rng.hex(64)}`;
  const input = spec.input(rng);
  const taskType = spec.kind === 'api' ? 'api' : 'wasm';
  const timestamp = new Date(Math.floor(task.createdMs)).toISOString();
  if (layout === 'flat')
    return {
      type: 'task_created',
      executionId: task.executionId,
      taskId: spec.taskId,
      taskType,
      taskPath: spec.taskPath,
      taskVersion: spec.taskVersion,
      chainId: task.chainId,
      blockNumber: task.blockNumber,
      blockHash,
      timestamp,
      input,
    };
  if (layout === 'payload')
    return {
      payload: {
        type: 'task_created',
        executionId: task.executionId,
        taskType,
        taskId: spec.taskId,
        taskPath: spec.taskPath,
        chainId: task.chainId,
        blockNumber: task.blockNumber,
        blockHash,
        input,
      },
    };
  const workers = [address, rng.pick(PEER_WORKERS)];
  const price = spec.kind === 'api' ? { byteGasPrice: rng.int(1, 20) } : { stepGasPrice: rng.int(1, 5) };
  return {
    type: 'task_created',
    payload: {
      type: 'task_created',
      executionId: task.executionId,
      timestamp,
      signature: `0x${rng.hex(130)}`,
      msgHash: `0x${rng.hex(64)}`,
      message: {
        taskId: spec.taskId,
        taskPath: spec.taskPath,
        taskVersion: spec.taskVersion,
        chainId: task.chainId,
        blockNumber: task.blockNumber,
        blockHash,
        taskRequesterAddress: task.requester,
        senderAddress: task.requester,
        input,
        limits: { gas: spec.gasLimit, memory: spec.memoryLimit, call: 1000, frame: 10000 },
        econParams: { ...price, maxFee: String(rng.int(1, 900) * 1e12) },
        workers,
      },
    },
  };
}

export interface MetricsTruth {
  exitCode?: number;
  elapsedMs?: number;
  steps?: number;
  memoryPeak?: number;
  cached?: boolean;
}

/** The `Command execution stdout` JSON; some fields are left out now and then, as the runner sometimes does. */
export function metrics(rng: Rng, task: Task): { json: Record<string, unknown>; truth: MetricsTruth } {
  const truth: MetricsTruth = {};
  const json: Record<string, unknown> = {};
  const elapsedNs = Math.round(task.elapsedMs * 1e6);
  if (!rng.chance(0.03)) {
    json.elapsed = rng.chance(0.9) ? String(elapsedNs) : elapsedNs;
    truth.elapsedMs = elapsedNs / 1e6;
  }
  if (task.failed || !rng.chance(0.03)) {
    json.wasi = { exitCode: task.exitCode };
    truth.exitCode = task.exitCode;
  }
  if (task.spec.kind === 'api') return { json, truth };
  const metering: Record<string, unknown> = {
    limits: { gas: task.spec.gasLimit, memory: task.spec.memoryLimit, call: 1000, frame: 10000 },
  };
  if (!rng.chance(0.02)) {
    metering.last = { steps: task.steps };
    truth.steps = task.steps;
  }
  if (!rng.chance(0.03)) {
    metering.peak = { memory: task.memoryPeak, call: rng.int(3, 180), frame: rng.int(20, 4000) };
    truth.memoryPeak = task.memoryPeak;
  }
  json.metering = metering;
  if (!rng.chance(0.02)) {
    json.execution = {
      wasm: { size: task.spec.wasmSize, hash: task.spec.wasmHash },
      prepare: { cached: task.cached },
    };
    truth.cached = task.cached;
  }
  return { json, truth };
}

export function invoice(rng: Rng, task: Task, address: string, invoiceId: string): Record<string, unknown> {
  const head = { invoiceId, executionId: task.executionId, taskId: task.spec.taskId, chainId: task.chainId };
  let price: Record<string, number>;
  let charge: Record<string, unknown>;
  if (task.spec.kind === 'api') {
    const request = rng.int(180, 2_400);
    const response = rng.int(300, 40_000);
    price = { byteGasPrice: rng.int(1, 20) };
    charge = {
      totalTransferredBytes: { request, response },
      amount: (request + response) * price.byteGasPrice!,
    };
  } else {
    price = { stepGasPrice: rng.int(1, 5) };
    charge = {
      total_steps_computed: task.steps,
      peak_memory_used: task.memoryPeak,
      amount: task.steps * price.stepGasPrice!,
    };
  }
  const amount = charge.amount as number;
  return {
    ...head,
    ...price,
    lineItem: [
      { operation: 'charge', account: task.requester, ...charge },
      { operation: 'pay', account: address, amount: Math.floor(amount * 0.9) },
    ],
    taskCreated_timeStamp: Math.floor(task.createdMs),
    accounting_signature: `0x${rng.hex(130)}`,
  };
}

export function invoicePaid(rng: Rng, invoiceId: string): Record<string, unknown> {
  return { invoiceId, txHash: `0x${rng.hex(64)}` };
}
