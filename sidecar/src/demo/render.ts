// Turns a block's events into log lines: time order, semaphore counts, the runner's line grammar.
import { RunnerClock } from './format.ts';
import { SLOT_TOTAL } from './schedule.ts';

export interface RenderedLine {
  offsetMs: number;
  text: string;
}

export type Slot = { subscriber: 'TaskSubscriber' | 'InvoiceSubscriber'; acquire: boolean; short: boolean };

export interface Ev {
  t: number;
  seq: number;
  level: string;
  /** Undefined for the runner itself, else `<component>:<version>`. */
  component?: string;
  message: string;
  continuation?: string[];
  slot?: Slot;
  received?: string;
  /** `Starting task execution`: the id, and whether the line would rather omit it. */
  start?: { executionId: string; omit: boolean };
}

/**
 * Sorts the events of a block by time (creation order breaks ties), fills in the slot counts as the semaphores
 * would report them, and writes the lines. `runner` is the runner's `<component>:<version>`.
 */
export function render(
  evs: Ev[],
  runner: string,
  wallMs: (offsetMs: number) => number,
  where: string,
): RenderedLine[] {
  evs.sort((x, y) => x.t - y.t || x.seq - y.seq);
  const clock = new RunnerClock();
  const active = { TaskSubscriber: 0, InvoiceSubscriber: 0 };
  const waiting = new Set<string>();
  const lines: RenderedLine[] = [];
  for (const ev of evs) {
    let message = ev.message;
    if (ev.slot) {
      const s = ev.slot;
      const c = (active[s.subscriber] += s.acquire ? 1 : -1);
      if (c < 0 || c > SLOT_TOTAL) throw new Error(`demo generator: slot count ${c} in ${where}`);
      const slot = s.acquire
        ? `Using slot ${c}/${SLOT_TOTAL}`
        : `Released slot (${c}/${SLOT_TOTAL} now active)`;
      const head = `Semaphore ${s.subscriber} processing ${s.acquire ? 'started' : 'completed'}.`;
      message = s.short ? slot : `${head} ${slot}`;
    }
    if (ev.received) waiting.add(ev.received);
    if (ev.start) {
      // Leave the id out only when no other execution could be the one starting.
      const alone = waiting.size === 1 && waiting.has(ev.start.executionId);
      if (!(ev.start.omit && alone)) message += ` {"executionId":"${ev.start.executionId}"}`;
      waiting.delete(ev.start.executionId);
    }
    const ts = clock.format(wallMs(ev.t));
    lines.push({
      offsetMs: ev.t,
      text: `${ts} ${ev.level}: @truebit/${ev.component ?? runner} ${message}`,
    });
    if (ev.continuation) for (const text of ev.continuation) lines.push({ offsetMs: ev.t, text });
  }
  return lines;
}
