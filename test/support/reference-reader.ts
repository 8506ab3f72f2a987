// A deliberately small reader of generated logs that applies the correlation rules of runner-node-logs.md
// literally. The generator's tests use it to prove that its lines attribute to the right executions, so the
// real parser (sidecar/src/parse) can be checked against the generator's ground truth.
// It handles only the undecorated shapes the generator writes; it is no substitute for the parser.

export interface ReadExecution {
  executionId: string;
  taskId?: string;
  chainId?: string;
  blockNumber?: number;
  started: boolean;
  completed: boolean;
  metrics?: Record<string, unknown>;
  stderr: string[];
}

export interface ReadInvoice {
  invoiceId: string;
  executionId: string;
  steps?: number;
  /** The `pay` line item's amount. */
  toNode: number;
  /** From the invoice's invoice_paid notice. */
  txHash?: string;
}

export interface ReadResult {
  executions: Map<string, ReadExecution>;
  invoices: ReadInvoice[];
  /** "Using slot" / "Released slot" counts in log order, per subscriber ('' when the line names none). */
  slots: { subscriber: string; active: number; total: number; acquire: boolean }[];
  entries: number;
}

const FIRST = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\w+): @truebit\/(\S+?):(\d+\.\d+\.\d+\S*) (.*)$/;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' ? (v as Obj) : undefined);

function parseJson(text: string): Obj {
  return JSON.parse(text) as Obj;
}

export function readGeneratedLines(texts: readonly string[]): ReadResult {
  const result: ReadResult = { executions: new Map(), invoices: [], slots: [], entries: 0 };
  const started: ReadExecution[] = [];
  const waiting: ReadExecution[] = [];
  const open = (): ReadExecution | undefined => {
    for (let i = started.length - 1; i >= 0; i--) {
      const e = started[i]!;
      if (!e.metrics && !e.completed) return e;
    }
    return undefined;
  };

  for (let i = 0; i < texts.length;) {
    const m = FIRST.exec(texts[i]!);
    if (!m) throw new Error(`line ${i} is neither an entry nor a continuation of one: ${texts[i]}`);
    const message = m[5]!;
    const rest: string[] = [];
    for (i++; i < texts.length && !FIRST.test(texts[i]!); i++) rest.push(texts[i]!);
    result.entries++;
    const body = (prefix: string) => [message.slice(prefix.length), ...rest].join('\n');

    if (message.startsWith('Message received from task_created:')) {
      const doc = parseJson(body('Message received from task_created:'));
      const payload = obj(doc.payload);
      const fields = obj(payload?.message) ?? payload ?? doc;
      const executionId = String(payload?.executionId ?? doc.executionId);
      const e: ReadExecution = {
        executionId,
        taskId: fields.taskId as string,
        chainId: fields.chainId as string,
        blockNumber: fields.blockNumber as number,
        started: false,
        completed: false,
        stderr: [],
      };
      result.executions.set(executionId, e);
      waiting.push(e);
    } else if (message.startsWith('Starting task execution')) {
      const json = message.slice('Starting task execution'.length).trim();
      let e: ReadExecution | undefined;
      if (json) e = result.executions.get(String(parseJson(json).executionId));
      else if (waiting.length === 1) e = waiting[0];
      else throw new Error(`id-less start with ${waiting.length} candidates`);
      if (!e) throw new Error(`start of an unknown execution: ${message}`);
      e.started = true;
      started.push(e);
      waiting.splice(waiting.indexOf(e), 1);
    } else if (message.startsWith('Command execution stderr:')) {
      const e = open();
      if (!e) throw new Error('stderr with no open execution');
      e.stderr.push(body('Command execution stderr:'));
    } else if (message.startsWith('Command execution stdout:')) {
      const e = open();
      if (!e) throw new Error('metrics with no open execution');
      e.metrics = parseJson(body('Command execution stdout:'));
    } else if (/^Execution \S+ completed/.test(message)) {
      const e = result.executions.get(message.split(' ')[1]!);
      if (!e) throw new Error(`completion of an unknown execution: ${message}`);
      e.completed = true;
    } else if (message.startsWith('InvoiceSubscriber invoice created:')) {
      const doc = parseJson(body('InvoiceSubscriber invoice created:'));
      let steps: number | undefined;
      for (const item of doc.lineItem as Obj[])
        if (typeof item.total_steps_computed === 'number') steps = (steps ?? 0) + item.total_steps_computed;
      const pay = (doc.lineItem as Obj[]).find((item) => item.operation === 'pay');
      const inv = {
        invoiceId: String(doc.invoiceId),
        executionId: String(doc.executionId),
        ...(steps !== undefined && { steps }),
        toNode: Number(pay?.amount),
      } as ReadInvoice;
      result.invoices.push(inv);
    } else if (message.startsWith('Message received from invoice_paid:')) {
      const doc = parseJson(body('Message received from invoice_paid:'));
      const inv = result.invoices.find((i) => i.invoiceId === doc.invoiceId);
      if (!inv) throw new Error(`a paid notice before its invoice: ${message}`);
      inv.txHash = String(doc.txHash);
    } else {
      const slot =
        /^(?:Semaphore (\w+) processing \w+\. )?(Using slot (\d+)\/(\d+)|Released slot \((\d+)\/(\d+) now active\))$/.exec(
          message,
        );
      if (slot) {
        const acquire = slot[3] !== undefined;
        result.slots.push({
          subscriber: slot[1] ?? '',
          acquire,
          active: Number(acquire ? slot[3] : slot[5]),
          total: Number(acquire ? slot[4] : slot[6]),
        });
      }
    }
  }
  return result;
}

/** The metrics fields as runner-node-logs.md defines them: absent when the JSON lacks them. */
export function metricsFields(json: Record<string, unknown>): {
  exitCode?: number;
  elapsedMs?: number;
  steps?: number;
  memoryPeak?: number;
  cached?: boolean;
} {
  const out: ReturnType<typeof metricsFields> = {};
  if (json.elapsed !== undefined) out.elapsedMs = Number(json.elapsed) / 1e6;
  const exitCode = obj(json.wasi)?.exitCode;
  if (typeof exitCode === 'number') out.exitCode = exitCode;
  const metering = obj(json.metering);
  const steps = obj(metering?.last)?.steps;
  if (typeof steps === 'number') out.steps = steps;
  const memory = obj(metering?.peak)?.memory;
  if (typeof memory === 'number') out.memoryPeak = memory;
  const cached = obj(obj(json.execution)?.prepare)?.cached;
  if (typeof cached === 'boolean') out.cached = cached;
  return out;
}
