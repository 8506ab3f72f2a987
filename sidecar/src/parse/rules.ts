// The runner's vocabulary as a table: the first rule whose hint and pattern match an entry's first line decides
// its kind and extracts its fields. A new wording is one more row here; until then it is a `message`.
import { TX_HASH, type Entry, type EntryKind } from '../../../protocol/node-events.ts';
import { executionIdOf, invoiceFields, metricsFields, transcriptFields } from './fields.ts';
import { parseJsonObject } from './json-value.ts';

/** What a rule sees: the entry's first line (without its header) and the JSON that follows the match. */
export interface RuleInput {
  message: string;
  /** The first line after the matched part and the continuation lines, parsed as a JSON object, lazily. */
  json(): Record<string, unknown> | undefined;
}

export type Fields = Partial<
  Pick<Entry, 'kind' | 'executionId' | 'topic' | 'task' | 'metrics' | 'invoice' | 'paid' | 'slots'>
>;

export interface Rule {
  kind: EntryKind;
  /**
   * The words the first line can start with (a cheap test before the pattern), or a substring it must contain
   * anywhere (`{ anywhere }`).
   */
  starts: readonly string[] | { anywhere: string };
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
    starts: ['Message'],
    pattern: /^Message received from task_created:/,
    fields: (_, input) => {
      const json = input.json();
      return json ? { topic: 'task_created', ...transcriptFields(json) } : { topic: 'task_created' };
    },
  },
  {
    kind: 'invoice.paid',
    starts: ['Message'],
    pattern: /^Message received from invoice_paid:/,
    fields: (_, input) => {
      const json = input.json();
      const invoiceId = json?.invoiceId;
      // Without an invoice id it names no invoice: it stays a message (and unreadable JSON counts as an error).
      if (typeof invoiceId !== 'string' || !invoiceId || invoiceId.length > 200)
        return { kind: 'message', topic: 'invoice_paid' };
      const txHash = json!.txHash;
      return {
        topic: 'invoice_paid',
        paid: typeof txHash === 'string' && TX_HASH.test(txHash) ? { invoiceId, txHash } : { invoiceId },
      };
    },
  },
  {
    kind: 'message',
    starts: ['Message'],
    pattern: /^Message received from ([^\s:]+)/,
    fields: (m) => ({ topic: m[1]! }),
  },
  {
    kind: 'task.downloaded',
    starts: ['Task'],
    pattern: /^Task (\S+) downloaded successfully/,
    fields: (m) => ({ task: { path: m[1]! } }),
  },
  // Slot rules come before the invoice rule: `Semaphore InvoiceSubscriber … Using slot 1/4` is a slot event.
  {
    kind: 'slot.acquired',
    starts: ['Semaphore', 'Using'],
    pattern: /^(?:Semaphore (\w+) processing started\. )?Using slot (\d{1,6})\/(\d{1,6})/,
    fields: (m) => slotFields(m[1], m[2]!, m[3]!),
  },
  {
    kind: 'slot.released',
    starts: ['Semaphore', 'Released'],
    pattern: /^(?:Semaphore (\w+) processing completed\. )?Released slot \((\d{1,6})\/(\d{1,6}) now active\)/,
    fields: (m) => slotFields(m[1], m[2]!, m[3]!),
  },
  {
    kind: 'message',
    starts: ['Semaphore'],
    pattern: /^Semaphore (\w+) message received/,
    fields: (m) => ({ slots: { subscriber: m[1]! } }),
  },
  {
    kind: 'task.started',
    starts: ['Starting'],
    pattern: /^Starting task execution/,
    fields: withExecutionId,
  },
  {
    kind: 'task.metrics',
    starts: ['Command'],
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
    starts: ['Command'],
    pattern: /^Command execution stderr:/,
  },
  {
    kind: 'task.published',
    starts: ['Message'],
    pattern: /^Message published to ([^\s:]+)/,
    fields: (m) => ({ topic: m[1]! }),
  },
  {
    kind: 'task.completed',
    starts: ['Execution'],
    pattern: /^Execution ([\w-]{1,200}) completed/,
    fields: (m) => ({ executionId: m[1]! }),
  },
  {
    kind: 'task.failed',
    starts: ['Execution'],
    pattern: /^Execution ([\w-]{1,200}) failed/,
    fields: (m) => ({ executionId: m[1]! }),
  },
  {
    kind: 'task.failed',
    starts: ['Task', 'task'],
    pattern: /^[Tt]ask execution failed/,
    fields: withExecutionId,
  },
  {
    kind: 'invoice',
    starts: { anywhere: 'InvoiceSubscriber' },
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
    starts: ['Node'],
    pattern: /^Node with address 0x[0-9a-fA-F]{40} (?:registered successfully|requested registration)/,
  },
];

/** The components whose lines the vocabulary applies to; other `@truebit/…` components are `message`s. */
export const RUNNER_COMPONENT = 'worker-runner-node';

/** The rules to try for a first word, in table order; rules that match anywhere are in every list. */
const byFirstWord = new Map<string, Rule[]>();
const anywhere = RULES.filter((r) => !Array.isArray(r.starts));
for (const rule of RULES) {
  if (!Array.isArray(rule.starts)) continue;
  for (const word of rule.starts as readonly string[]) {
    if (!byFirstWord.has(word)) byFirstWord.set(word, []);
    byFirstWord.get(word)!.push(rule);
  }
}
for (const [word, rules] of byFirstWord)
  byFirstWord.set(
    word,
    RULES.filter((r) => rules.includes(r) || anywhere.includes(r)),
  );

function candidates(message: string): readonly Rule[] {
  const space = message.indexOf(' ');
  return byFirstWord.get(space === -1 ? message : message.slice(0, space)) ?? anywhere;
}

/** The JSON after the matched part of the first line, parsed at most once and only when a rule asks. */
class JsonAfterMatch implements RuleInput {
  private parsed: Record<string, unknown> | undefined | null = null;

  constructor(
    readonly message: string,
    private readonly from: number,
    private readonly text: string | undefined,
  ) {}

  json(): Record<string, unknown> | undefined {
    if (this.parsed === null) {
      const rest = this.message.slice(this.from);
      this.parsed = parseJsonObject(this.text === undefined ? rest : `${rest}\n${this.text}`);
    }
    return this.parsed;
  }

  /** True when a rule wanted JSON, the text announced some, and it could not be parsed. */
  get broken(): boolean {
    return (
      this.parsed === undefined &&
      (this.message.includes('{', this.from) || (this.text?.trimStart().startsWith('{') ?? false))
    );
  }
}

/**
 * Sets the entry's kind and the fields its rule extracts, from its first line (`message`) and continuation
 * lines (`text`). Returns false when the entry announced JSON that could not be parsed.
 */
export function classify(entry: Entry, message: string, text: string | undefined): boolean {
  for (const rule of candidates(message)) {
    if (!Array.isArray(rule.starts) && !message.includes((rule.starts as { anywhere: string }).anywhere))
      continue;
    const m = rule.pattern.exec(message);
    if (!m) continue;
    const input = new JsonAfterMatch(message, m.index + m[0].length - (m[0].endsWith('{') ? 1 : 0), text);
    entry.kind = rule.kind;
    const fields = rule.fields?.(m, input);
    if (fields) Object.assign(entry, fields);
    return !input.broken;
  }
  entry.kind = 'message';
  return true;
}
