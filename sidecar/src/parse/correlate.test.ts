import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { Correlator, EXECUTION_TTL_MS, MAX_EXECUTIONS } from './correlate.ts';

const received = (executionId: string, ms: number): Entry =>
  ({
    id: `t.${executionId}`,
    ts: new Date(ms).toISOString(),
    level: 'info',
    kind: 'task.received',
    message: 'Message received from task_created',
    stream: 'stdout',
    executionId,
  }) as Entry;

/** The executions the correlator keeps, oldest first. */
const kept = (c: Correlator) => {
  const state = c.snapshot();
  return state.map.map((i) => state.executions[i]![0]);
};

describe('Correlator bounds', () => {
  it('keeps the newest MAX_EXECUTIONS in order of first sight, through drops, ageing and an id seen again', () => {
    const c = new Correlator();
    // The same rule written plainly: oldest first; older than a day ages out, then the oldest past the bound.
    const model: { id: string; ms: number }[] = [];
    const see = (id: string, ms: number) => {
      c.apply(received(id, ms));
      while (model.length && ms - model[0]!.ms > EXECUTION_TTL_MS) model.shift();
      if (!model.some((e) => e.id === id)) model.push({ id, ms });
      while (model.length > MAX_EXECUTIONS) model.shift();
    };
    const ids = () => model.map((e) => e.id);
    let ms = Date.parse('2025-11-24T00:00:00Z');
    for (let i = 0; i < MAX_EXECUTIONS * 3; i++) see(`a${i}`, (ms += 1000));
    expect(kept(c)).toEqual(ids());
    // Most of a day later: the oldest age out from the front while new ones come.
    ms += EXECUTION_TTL_MS - 1500 * 1000;
    for (let i = 0; i < 700; i++) see(`b${i}`, (ms += 1000));
    expect(kept(c)).toEqual(ids());
    expect(c.size).toBeLessThan(MAX_EXECUTIONS);
    // An id dropped long ago comes back: it is the newest again.
    see('a0', (ms += 1000));
    for (let i = 0; i < MAX_EXECUTIONS + 10; i++) see(`c${i}`, (ms += 1000));
    expect(kept(c)).toEqual(ids());
    expect(c.size).toBe(MAX_EXECUTIONS);
  });
});
