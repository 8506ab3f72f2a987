// Runner log lines in, typed entries out: framing, the vocabulary, redaction of task data, correlation.
import type { Entry } from '../../../protocol/node-events.ts';
import type { SourceLine } from '../sources/source.ts';
import { Correlator, type CorrelatorState } from './correlate.ts';
import { Framer, type FramedEntry, type FramerState } from './framer.ts';
import type { IoStore } from './io-store.ts';
import { mayNeedRedaction, redactText, type RedactedValue } from './redact.ts';
import { fitContract } from './fit.ts';
import { classify, RUNNER_COMPONENT } from './rules.ts';

export interface ParserCounters {
  lines: number;
  entries: number;
  /** Entries outside the runner grammar. */
  raw: number;
  /** Runner lines no rule recognised: a new wording shows up here. */
  unrecognised: number;
  truncated: number;
  jsonErrors: number;
  byKind: Record<string, number>;
}

/** What the parser keeps between two lines, as plain JSON: reading on from it is reading on from there. */
export interface ParserState {
  framer: FramerState;
  correlator: CorrelatorState;
  counters: ParserCounters;
}

export class EntryParser {
  readonly counters: ParserCounters = {
    lines: 0,
    entries: 0,
    raw: 0,
    unrecognised: 0,
    truncated: 0,
    jsonErrors: 0,
    byKind: {},
  };
  private framer = new Framer();
  private correlator = new Correlator();
  private readonly framed: FramedEntry[] = [];
  /** After a reset, the entries up to this id were counted before: read again, they are not counted again. */
  private countedUpTo: string | undefined;

  constructor(private readonly io?: IoStore) {}

  push(lines: readonly SourceLine[]): Entry[] {
    for (const line of lines) this.framer.push(line, this.framed);
    this.counters.lines += lines.length;
    return this.drain();
  }

  /**
   * Feeds a block of whole ASCII lines read at byte `offset` (Framer.pushBlock says which blocks qualify): the
   * same entries as pushing its lines one by one with the cursors `cursorOf` gives their offsets.
   */
  pushBlock(block: string, offset: number, cursorOf: (offset: number) => string): Entry[] {
    this.counters.lines += this.framer.pushBlock(block, offset, cursorOf, this.framed);
    return this.drain();
  }

  /**
   * Forgets the entry in progress and the correlation state, for a source that starts reading over again;
   * `countedUpTo`: the last entry counted so far (the counters go on from there, not from the start again).
   */
  reset(countedUpTo?: string): void {
    this.framer = new Framer();
    this.correlator = new Correlator();
    this.countedUpTo = countedUpTo;
  }

  get hasOpenEntry(): boolean {
    return this.framer.hasOpen;
  }

  /** Emits the entry still open: at the end of the text, or after a quiet time when following live. */
  flush(): Entry[] {
    this.framer.flush(this.framed);
    return this.drain();
  }

  private drain(): Entry[] {
    const out: Entry[] = [];
    for (const framed of this.framed) out.push(this.build(framed));
    this.framed.length = 0;
    return out;
  }

  private build(framed: FramedEntry): Entry {
    let message = framed.message;
    let text = framed.continuation?.join('\n');
    let taken: RedactedValue[] | undefined;
    if (mayNeedRedaction(message) || (text !== undefined && mayNeedRedaction(text))) {
      const redacted = redactText(text === undefined ? message : `${message}\n${text}`);
      if (redacted.values.length) {
        const nl = redacted.text.indexOf('\n');
        message = nl === -1 ? redacted.text : redacted.text.slice(0, nl);
        text = nl === -1 ? undefined : redacted.text.slice(nl + 1);
        taken = redacted.values;
      }
    }
    const header = framed.header;
    // Every key is set up front (absent ones undefined, which JSON leaves out): one object shape for all.
    const entry: Entry = {
      id: framed.id,
      ts: framed.ts,
      level: header ? header.level : 'unknown',
      kind: 'raw',
      message,
      text,
      stream: framed.stream,
      component: header?.component,
      address: header?.address,
      version: header?.version,
      truncated: framed.truncated ? true : undefined,
      executionId: undefined,
      outcome: undefined,
      topic: undefined,
      task: undefined,
      metrics: undefined,
      invoice: undefined,
      paid: undefined,
      slots: undefined,
      io: undefined,
    };
    const countedBefore = this.countedBefore(entry.id);
    let unreadableJson = false;
    if (header) {
      if (header.component === RUNNER_COMPONENT) {
        unreadableJson = !classify(entry, message, text);
        if (unreadableJson && !countedBefore) this.counters.jsonErrors++;
        if (entry.kind === 'message' && !entry.topic && !entry.slots && !countedBefore)
          this.counters.unrecognised++;
      } else entry.kind = 'message';
    }
    if (taken) {
      entry.io = {};
      for (const t of taken) entry.io[t.role] = t.redacted;
    }
    fitContract(entry);
    this.correlator.apply(entry, framed.reopened, unreadableJson);
    if (taken && entry.executionId && this.io)
      for (const t of taken) this.io.put(entry.executionId, t.role, t.value);
    if (!framed.reopened && !countedBefore) this.count(entry);
    return entry;
  }

  /** True for an entry read again after a reset up to the last one counted before it. */
  private countedBefore(id: string): boolean {
    if (this.countedUpTo === undefined) return false;
    if (id <= this.countedUpTo) return true;
    this.countedUpTo = undefined;
    return false;
  }

  private count(entry: Entry): void {
    const c = this.counters;
    c.entries++;
    c.byKind[entry.kind] = (c.byKind[entry.kind] ?? 0) + 1;
    if (entry.kind === 'raw') c.raw++;
    if (entry.truncated) c.truncated++;
  }

  /**
   * The state after the lines pushed so far, or undefined when it cannot be carried on exactly (framer.ts) or
   * would hold task data: the entry still open is not redacted yet, and task data is never written anywhere.
   */
  snapshot(): ParserState | undefined {
    const framer = this.framer.snapshot();
    if (!framer) return undefined;
    const open = framer.open;
    if (open && (mayNeedRedaction(open.message) || open.continuation?.some(mayNeedRedaction)))
      return undefined;
    return {
      framer,
      correlator: this.correlator.snapshot(),
      counters: { ...this.counters, byKind: { ...this.counters.byKind } },
    };
  }

  /** Carries on from a snapshot: the next line pushed is the one after those it was taken after. */
  restore(state: ParserState): void {
    this.framer = new Framer();
    this.framer.restore(state.framer);
    this.correlator = Correlator.restore(state.correlator);
    this.countedUpTo = undefined;
    Object.assign(this.counters, state.counters, { byKind: { ...state.counters.byKind } });
  }
}
