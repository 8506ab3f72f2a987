// Typed fields from the runner's JSON payloads: task transcripts, execution metrics, invoices.
import type { Invoice, InvoiceLineItem, Metrics, TaskInfo, TaskKind } from '../../../protocol/node-events.ts';
import { bool, compact, count, finite, integer, record, str } from './json-value.ts';

/** The layers a transcript may nest its fields in: flat, under `payload`, or under `payload.message`. */
function layers(json: Record<string, unknown>): Record<string, unknown>[] {
  const payload = record(json.payload);
  const out = [json];
  if (payload) {
    out.unshift(payload);
    const message = record(payload.message);
    if (message) out.unshift(message);
  }
  const message = record(json.message);
  if (message) out.unshift(message);
  return out;
}

function pick(objects: Record<string, unknown>[], key: string): unknown {
  for (const o of objects) if (o[key] !== undefined) return o[key];
  return undefined;
}

export function taskKindOf(taskId: string | undefined, taskType: unknown): TaskKind | undefined {
  if (taskId?.startsWith('api_') || taskType === 'api') return 'api';
  if (taskId !== undefined || typeof taskType === 'string') return 'function';
  return undefined;
}

/** The digits of a chain id, or undefined. */
export function chainIdOf(value: unknown): string | undefined {
  const s = str(value, 40);
  return s !== undefined && /^\d+$/.test(s) ? s : undefined;
}

export function transcriptFields(json: Record<string, unknown>): { executionId?: string; task?: TaskInfo } {
  const l = layers(json);
  const taskId = str(pick(l, 'taskId'));
  const task = compact<TaskInfo>({
    taskId,
    chainId: chainIdOf(pick(l, 'chainId')),
    blockNumber: count(pick(l, 'blockNumber')),
    kind: taskKindOf(taskId, pick(l, 'taskType')),
    path: str(pick(l, 'taskPath')),
  });
  const out: { executionId?: string; task?: TaskInfo } = {};
  const executionId = str(pick(l, 'executionId'), 200);
  if (executionId) out.executionId = executionId;
  if (task) out.task = task;
  return out;
}

export function executionIdOf(json: Record<string, unknown> | undefined): string | undefined {
  return json ? str(pick(layers(json), 'executionId'), 200) : undefined;
}

const NS_PER_MS = 1_000_000;

export function metricsFields(json: Record<string, unknown>): Metrics | undefined {
  const metering = record(json.metering);
  const limits = record(metering?.limits);
  const peak = record(metering?.peak);
  const execution = record(json.execution);
  const wasm = record(execution?.wasm);
  const elapsedNs = finite(json.elapsed);
  return compact<Metrics>({
    elapsedMs: elapsedNs !== undefined && elapsedNs >= 0 ? elapsedNs / NS_PER_MS : undefined,
    exitCode: integer(record(json.wasi)?.exitCode),
    steps: count(record(metering?.last)?.steps),
    gasLimit: count(limits?.gas),
    memoryPeak: count(peak?.memory),
    memoryLimit: count(limits?.memory),
    callPeak: count(peak?.call),
    callLimit: count(limits?.call),
    framePeak: count(peak?.frame),
    frameLimit: count(limits?.frame),
    wasmSize: count(wasm?.size),
    wasmHash: str(wasm?.hash, 128),
    cached: bool(record(execution?.prepare)?.cached),
  });
}

function lineItem(value: unknown): InvoiceLineItem | undefined {
  const item = record(value);
  if (!item) return undefined;
  const transferred = record(item.totalTransferredBytes);
  return (
    compact<InvoiceLineItem>({
      operation: str(item.operation, 40),
      account: str(item.account, 80),
      steps: count(item.total_steps_computed),
      memoryPeak: count(item.peak_memory_used),
      requestBytes: count(transferred?.request),
      responseBytes: count(transferred?.response),
      amount: finite(item.amount),
    }) ?? {}
  );
}

export function invoiceFields(json: Record<string, unknown>): Invoice {
  const items = Array.isArray(json.lineItem) ? json.lineItem.slice(0, 100) : [];
  const lineItems = items.map(lineItem).filter((i): i is InvoiceLineItem => i !== undefined);
  // Line items of one invoice (charge, pay, …) repeat the same step count: the task's steps are their largest.
  const steps = lineItems.reduce<number | undefined>(
    (max, i) => (i.steps !== undefined && (max === undefined || i.steps > max) ? i.steps : max),
    undefined,
  );
  const created = count(json.taskCreated_timeStamp);
  const invoice: Invoice = { lineItems };
  return Object.assign(
    invoice,
    compact({
      invoiceId: str(json.invoiceId, 200),
      executionId: str(json.executionId, 200),
      taskId: str(json.taskId),
      chainId: chainIdOf(json.chainId),
      stepGasPrice: finite(json.stepGasPrice),
      byteGasPrice: finite(json.byteGasPrice),
      taskCreatedAt: created !== undefined && created < 8.64e15 ? new Date(created).toISOString() : undefined,
      steps,
    }),
  );
}
