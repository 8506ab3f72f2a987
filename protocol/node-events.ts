// Contract 1: what the sidecar streams to the PWA over Server-Sent Events (GET /api/events).
// The sidecar builds these values, the PWA validates what it receives with the same schemas.
import * as v from 'valibot';

/** Every kind an entry can have. `message` is any other runner line, `raw` anything outside the grammar. */
export const ENTRY_KINDS = [
  'task.received',
  'task.downloaded',
  'task.started',
  'task.metrics',
  'task.stderr',
  'task.published',
  'task.completed',
  'task.failed',
  'invoice',
  'invoice.paid',
  'slot.acquired',
  'slot.released',
  'node.registered',
  'message',
  'raw',
] as const;
export const EntryKindSchema = v.picklist(ENTRY_KINDS);
export type EntryKind = v.InferOutput<typeof EntryKindSchema>;

/** The longest value of each text field: the sidecar cuts longer ones (and flags the entry `truncated`). */
export const LIMITS = {
  id: 200,
  message: 70_000,
  text: 300_000,
  component: 200,
  version: 60,
  topic: 200,
  executionId: 200,
  taskId: 300,
  path: 300,
  subscriber: 80,
} as const;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const amount = v.pipe(v.number(), v.finite());

/** What replaces task input or output in the stream: its size and digest, never its content. */
export const RedactedSchema = v.object({
  redacted: v.literal(true),
  bytes: count,
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
});
export type Redacted = v.InferOutput<typeof RedactedSchema>;

export const TaskKindSchema = v.picklist(['function', 'api']);
export type TaskKind = v.InferOutput<typeof TaskKindSchema>;

export const TaskInfoSchema = v.object({
  taskId: v.optional(text(LIMITS.taskId)),
  chainId: v.optional(text(40)),
  blockNumber: v.optional(count),
  kind: v.optional(TaskKindSchema),
  /** The task's content path (IPFS-style), from `Task <path> downloaded` or the transcript. */
  path: v.optional(text(LIMITS.path)),
});
export type TaskInfo = v.InferOutput<typeof TaskInfoSchema>;

/** The metrics of one execution (`Command execution stdout`). A field the runner did not report is absent. */
export const MetricsSchema = v.object({
  elapsedMs: v.optional(v.pipe(amount, v.minValue(0))),
  exitCode: v.optional(v.pipe(v.number(), v.integer())),
  steps: v.optional(count),
  gasLimit: v.optional(count),
  memoryPeak: v.optional(count),
  memoryLimit: v.optional(count),
  callPeak: v.optional(count),
  callLimit: v.optional(count),
  framePeak: v.optional(count),
  frameLimit: v.optional(count),
  wasmSize: v.optional(count),
  wasmHash: v.optional(text(128)),
  cached: v.optional(v.boolean()),
});
export type Metrics = v.InferOutput<typeof MetricsSchema>;

export const InvoiceLineItemSchema = v.object({
  operation: v.optional(text(40)),
  /** A wallet address: shown locally, never federated. */
  account: v.optional(text(80)),
  steps: v.optional(count),
  memoryPeak: v.optional(count),
  requestBytes: v.optional(count),
  responseBytes: v.optional(count),
  amount: v.optional(amount),
});
export type InvoiceLineItem = v.InferOutput<typeof InvoiceLineItemSchema>;

export const InvoiceSchema = v.object({
  invoiceId: v.optional(text(200)),
  executionId: v.optional(text(200)),
  taskId: v.optional(text(300)),
  chainId: v.optional(text(40)),
  stepGasPrice: v.optional(amount),
  byteGasPrice: v.optional(amount),
  /** The task's creation time from the invoice (`taskCreated_timeStamp`), as ISO-8601. */
  taskCreatedAt: v.optional(text(40)),
  /** The steps computed for the task: the largest `total_steps_computed` of the line items. */
  steps: v.optional(count),
  lineItems: v.pipe(v.array(InvoiceLineItemSchema), v.maxLength(100)),
});
export type Invoice = v.InferOutput<typeof InvoiceSchema>;

/** A transaction hash: 0x and 64 hex digits, kept exactly as the runner wrote it. */
export const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

/**
 * The runner's `Message received from invoice_paid: {json}` notice: which invoice was paid, and the transaction
 * that paid it when the notice names one. The transaction hash is the operator's own: shown locally, never federated.
 */
export const InvoicePaidSchema = v.object({
  invoiceId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  txHash: v.optional(v.pipe(v.string(), v.regex(TX_HASH))),
});
export type InvoicePaid = v.InferOutput<typeof InvoicePaidSchema>;

export const SlotsSchema = v.object({
  active: v.optional(count),
  total: v.optional(count),
  subscriber: v.optional(text(LIMITS.subscriber)),
});
export type Slots = v.InferOutput<typeof SlotsSchema>;

export const OutcomeSchema = v.picklist(['completed', 'failed']);
export type Outcome = v.InferOutput<typeof OutcomeSchema>;

export const EntrySchema = v.object({
  /** The cursor: opaque, unique, stable when the same log is read again, ordered within one source. */
  id: text(LIMITS.id),
  /** UTC ISO-8601; the Docker timestamp when the source has one, else the runner's own. */
  ts: text(40),
  level: text(20),
  kind: EntryKindSchema,
  /** The first line of the entry, decorations removed. */
  message: text(LIMITS.message),
  /** Continuation lines (pretty-printed JSON, stack traces), joined with \n. */
  text: v.optional(text(LIMITS.text)),
  stream: v.picklist(['stdout', 'stderr']),
  /** The runner component (`worker-runner-node`, or another `@truebit/…` package). */
  component: v.optional(text(LIMITS.component)),
  /** The worker's own address from the component suffix: local only. */
  address: v.optional(text(42)),
  /** The version of the component that wrote the entry. */
  version: v.optional(text(LIMITS.version)),
  /** Set when the source cut a line or an entry at its size limit. */
  truncated: v.optional(v.literal(true)),
  /** The execution this entry belongs to, named by the line or attributed by correlation. */
  executionId: v.optional(text(LIMITS.executionId)),
  /** Set on the one entry that finishes its execution, so consumers never have to guess. */
  outcome: v.optional(OutcomeSchema),
  /** Topic of `Message received from <topic>` or `Message published to <topic>`. */
  topic: v.optional(text(LIMITS.topic)),
  task: v.optional(TaskInfoSchema),
  metrics: v.optional(MetricsSchema),
  invoice: v.optional(InvoiceSchema),
  /** On `invoice.paid` entries. */
  paid: v.optional(InvoicePaidSchema),
  slots: v.optional(SlotsSchema),
  /** Task input and output, redacted. The content is only served by GET /api/tasks/:executionId/io. */
  io: v.optional(v.object({ input: v.optional(RedactedSchema), output: v.optional(RedactedSchema) })),
});
export type Entry = v.InferOutput<typeof EntrySchema>;

export const SOURCE_KINDS = ['docker', 'file', 'replay'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Where the source is: reading history (backfill), following live, or waiting for something to come back. */
export const SOURCE_STATES = ['connecting', 'backfill', 'live', 'waiting', 'error'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

export const StatusSchema = v.object({
  source: v.picklist(SOURCE_KINDS),
  state: v.picklist(SOURCE_STATES),
  /** A sentence for people: what is happening and, when waiting, what for. */
  detail: v.optional(text(500)),
  container: v.optional(
    v.object({
      name: text(200),
      id: v.optional(text(80)),
      /** Docker's state: running, exited, restarting, missing (no such container), … */
      state: text(40),
      startedAt: v.optional(text(40)),
    }),
  ),
  backfill: v.optional(
    v.object({
      entries: count,
      /** Bytes of log read so far and in all, when the source knows its size. */
      bytes: v.optional(count),
      totalBytes: v.optional(count),
      done: v.boolean(),
    }),
  ),
  /** When the source will try again, after an error. */
  retryInMs: v.optional(count),
});
export type Status = v.InferOutput<typeof StatusSchema>;

/** A backfill batch: the SSE event `batch` carries this, with the last entry's id as the SSE id. */
export const BatchSchema = v.object({ entries: v.pipe(v.array(EntrySchema), v.maxLength(1000)) });
export type Batch = v.InferOutput<typeof BatchSchema>;

/** SSE event names on /api/events. */
export const SSE_EVENTS = { entry: 'entry', batch: 'batch', status: 'status' } as const;
