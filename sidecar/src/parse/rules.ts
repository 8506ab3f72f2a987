// The runner's vocabulary as a table: the first rule whose hint and pattern match an entry's first line decides
// its kind and extracts its fields. A new wording is one more row here; until then it is a `message`.
import type { Entry, EntryKind } from '../../../protocol/node-events.ts';
import { executionIdOf, invoiceFields, metricsFields, transcriptFields } from './fields.ts';
import { parseJsonObject } from './json-value.ts';

/** What a rule sees: the entry's first line (without its header) and the JSON that follows the match. */
export interface RuleInput {
  message: string;
  /** The first line after the matched part and the continuation lines, parsed as a JSON object, lazily. */
  json(): Record<string, unknown> | undefined;
}

export type Fields = Partial<Pick<Entry, 'executionId' | 'topic' | 'task' | 'metrics' | 'invoice' | 'slots'>>;

export interface Rule {
  kind: EntryKind;
  /** A substring the first line must contain: a cheap test before the pattern. */
  hint: string;
  pattern: RegExp;
  fields?: (m: RegExpExecArray, input: RuleInput) => Fields | undefined;
}

const slotFields = (subscriber: string | undefined, active: string, total: string): Fields => ({
  slots: subscriber
    ? { active: Number(active), total: Number(total), subscriber }
    : { active: Number(active), total: Number(total) },
});

const withExecutionId = (_: RegExpExecArray, input: RuleInput): Fields | undefined => {
  const executionId = executionIdOf(input.json());
  return executionId ? { executionId } : undefined;
};

export const RULES: readonly Rule[] = [
  {
    kind: 'task.received',
    hint: 'task_created',
    pattern: /^Message received from task_created:/,
    fields: (_, input) => {
      const json = input.json();
      return json ? { topic: 'task_created', ...transcriptFields(json) } : { topic: 'task_created' };
    },
  },
  {
    kind: 'message',
    hint: 'Message received from',
    pattern: /^Message received from ([^\s:]+)/,
    fields: (m) => ({ topic: m[1]! }),
  },
  {
    kind: 'task.downloaded',
    hint: 'downloaded',
    pattern: /^Task (\S+) downloaded successfully/,
    fields: (m) => ({ task: { path: m[1]! } }),
  },
  // Slot rules come before the invoice rule: `Semaphore InvoiceSubscriber … Using slot 1/4` is a slot event.
  {
    kind: 'slot.acquired',
    hint: 'Using slot',
    pattern: /^(?:Semaphore (\w+) processing started\. )?Using slot (\d{1,6})\/(\d{1,6})/,
    fields: (m) => slotFields(m[1], m[2]!, m[3]!),
  },
  {
    kind: 'slot.released',
    hint: 'Released slot',
    pattern: /^(?:Semaphore (\w+) processing completed\. )?Released slot \((\d{1,6})\/(\d{1,6}) now active\)/,
    fields: (m) => slotFields(m[1], m[2]!, m[3]!),
  },
  {
    kind: 'message',
    hint: 'Semaphore',
    pattern: /^Semaphore (\w+) message received/,
    fields: (m) => ({ slots: { subscriber: m[1]! } }),
  },
  {
    kind: 'task.started',
    hint: 'Starting task execution',
    pattern: /^Starting task execution/,
    fields: withExecutionId,
  },
  {
    kind: 'task.metrics',
    hint: 'Command execution stdout',
    pattern: /^Command execution stdout:/,
    fields: (_, input) => {
      const json = input.json();
      const metrics = json && metricsFields(json);
      const executionId = executionIdOf(json);
      return { ...(metrics && { metrics }), ...(executionId && { executionId }) };
    },
  },
  {
    kind: 'task.stderr',
    hint: 'Command execution stderr',
    pattern: /^Command execution stderr:/,
  },
  {
    kind: 'task.published',
    hint: 'Message published to',
    pattern: /^Message published to ([^\s:]+)/,
    fields: (m) => ({ topic: m[1]! }),
  },
  {
    kind: 'task.completed',
    hint: 'completed',
    pattern: /^Execution ([\w-]{1,200}) completed/,
    fields: (m) => ({ executionId: m[1]! }),
  },
  {
    kind: 'task.failed',
    hint: 'failed',
    pattern: /^Execution ([\w-]{1,200}) failed/,
    fields: (m) => ({ executionId: m[1]! }),
  },
  {
    kind: 'task.failed',
    hint: 'ask execution failed',
    pattern: /^[Tt]ask execution failed/,
    fields: withExecutionId,
  },
  {
    kind: 'invoice',
    hint: 'InvoiceSubscriber',
    pattern: /InvoiceSubscriber[^{]*\{/,
    fields: (_, input) => {
      const json = input.json();
      if (!json) return undefined;
      const invoice = invoiceFields(json);
      return invoice.executionId ? { invoice, executionId: invoice.executionId } : { invoice };
    },
  },
  {
    kind: 'node.registered',
    hint: 'Node with address',
    pattern: /^Node with address 0x[0-9a-fA-F]{40} (?:registered successfully|requested registration)/,
  },
];

/** The components whose lines the vocabulary applies to; other `@truebit/…` components are `message`s. */
export const RUNNER_COMPONENT = 'worker-runner-node';

export interface Classified extends Fields {
  kind: EntryKind;
  /** True when the line announced JSON that could not be parsed. */
  jsonError?: boolean;
}

export function classify(message: string, continuation: readonly string[]): Classified {
  for (const rule of RULES) {
    if (!message.includes(rule.hint)) continue;
    const m = rule.pattern.exec(message);
    if (!m) continue;
    let parsed: Record<string, unknown> | undefined | null = null;
    let wanted = false;
    const input: RuleInput = {
      message,
      json() {
        if (parsed === null) {
          wanted = true;
          const rest = message.slice(m.index + m[0].length - (m[0].endsWith('{') ? 1 : 0));
          parsed = parseJsonObject(continuation.length ? `${rest}\n${continuation.join('\n')}` : rest);
        }
        return parsed;
      },
    };
    const fields = rule.fields?.(m, input);
    const result: Classified = { kind: rule.kind, ...fields };
    if (wanted && parsed === undefined && announcesJson(message, continuation)) result.jsonError = true;
    return result;
  }
  return { kind: 'message' };
}

function announcesJson(message: string, continuation: readonly string[]): boolean {
  return message.includes('{') || (continuation[0]?.trimStart().startsWith('{') ?? false);
}
