import { describe, expect, it } from 'vitest';
import type { Entry } from '../../protocol/node-events.ts';
import { EntryParser } from './parse/parser.ts';
import { pipeline } from './pipeline.ts';
import type { LogSource, SourceEvent, SourceLine } from './sources/source.ts';

const H = '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0';
const line = (n: number, text = `${H} Using slot ${n % 4}/4`): SourceLine => ({
  cursor: `f.${String(n).padStart(4, '0')}`,
  stream: 'stdout',
  text,
});

/** What a source says once it has read its history and follows the log. */
const LIVE: SourceEvent = { type: 'status', status: { source: 'file', state: 'live' } };

/** A source that plays a script of events, then waits (as a live source does) until aborted. */
function scripted(events: (SourceEvent | number)[]): LogSource {
  return {
    kind: 'file',
    description: 'scripted',
    async *read({ signal }) {
      for (const e of events) {
        if (typeof e === 'number') await new Promise((r) => setTimeout(r, e));
        else yield e;
      }
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    },
  };
}

async function take(
  source: LogSource,
  count: number,
  after?: string,
  parser?: EntryParser,
): Promise<Entry[]> {
  const controller = new AbortController();
  const entries: Entry[] = [];
  for await (const event of pipeline({
    source,
    signal: controller.signal,
    quietMs: 30,
    ...(after && { after }),
    ...(parser && { parser }),
  })) {
    if (event.type === 'entries') entries.push(...event.entries);
    if (entries.length >= count) controller.abort();
  }
  return entries;
}

describe('pipeline', () => {
  it('sends the last entry after the quiet time instead of holding it', async () => {
    const entries = await take(scripted([{ type: 'lines', lines: [line(1), line(2)], live: true }]), 2);
    expect(entries.map((e) => e.id)).toEqual(['f.0001', 'f.0002']);
  });

  it('drops entries before the resume cursor, and sends the one at it again', async () => {
    const lines = [1, 2, 3, 4, 5].map((n) => line(n));
    const entries = await take(scripted([{ type: 'lines', lines, live: false }, LIVE]), 3, 'f.0003');
    expect(entries.map((e) => e.id)).toEqual(['f.0003', 'f.0004', 'f.0005']);
  });

  it('a client that resumes after an entry sent early gets it again, complete', async () => {
    const head = line(1, `${H} Command execution stdout:`);
    const rest = { ...line(2, '{"wasi":{"exitCode":0}}') };
    const entries = await take(
      scripted([{ type: 'lines', lines: [head, rest, line(3)], live: false }, LIVE]),
      2,
      'f.0001',
    );
    expect(entries[0]).toMatchObject({ id: 'f.0001', kind: 'task.metrics', metrics: { exitCode: 0 } });
  });

  it('a source that reads over again delivers nothing twice and rebuilds correlation', async () => {
    const received = line(1, `${H} Message received from task_created: {"executionId":"A"}`);
    const started = line(2, `${H} Starting task execution`);
    const metrics = line(3, `${H} Command execution stdout: {"wasi":{"exitCode":0}}`);
    const source = scripted([
      { type: 'lines', lines: [received, started], live: true },
      40,
      { type: 'status', status: { source: 'file', state: 'error', detail: 'read error', retryInMs: 0 } },
      { type: 'lines', lines: [received, started, metrics, line(4)], live: false },
      LIVE,
    ]);
    const parser = new EntryParser();
    const entries = await take(source, 4, undefined, parser);
    expect(entries.map((e) => e.id)).toEqual(['f.0001', 'f.0002', 'f.0003', 'f.0004']);
    expect(entries[2]).toMatchObject({ kind: 'task.metrics', executionId: 'A', outcome: 'completed' });
    // Counted once each, as delivered: the entries read again are not counted again (/api/status, /metrics).
    expect(parser.counters).toMatchObject({ entries: 4, byKind: { 'task.received': 1, 'task.started': 1 } });
  });

  it('does not flush an entry early while the source reads history, however slowly the next line comes', async () => {
    // A loaded machine: the continuation of a metrics entry comes long after its first line, during the backfill.
    const metrics = line(1, `${H} Command execution stdout:`);
    const source = scripted([
      {
        type: 'lines',
        lines: [line(0, `${H} Starting task execution {"executionId":"A"}`), metrics],
        live: false,
      },
      120,
      { type: 'lines', lines: [{ ...line(2, '{"wasi":{"exitCode":1}}') }, line(3)], live: false },
      LIVE,
    ]);
    const entries = await take(source, 3);
    // Sent once, complete, and correlated once (an early flush sent it twice, the first time without its outcome).
    expect(entries.map((e) => e.id)).toEqual(['f.0000', 'f.0001', 'f.0003']);
    expect(entries[1]).toMatchObject({ kind: 'task.metrics', executionId: 'A', outcome: 'failed' });
  });

  it('once the source is live, sends the last entry of the history after the quiet time', async () => {
    const entries = await take(
      scripted([{ type: 'lines', lines: [line(1), line(2)], live: false }, LIVE]),
      2,
    );
    expect(entries.map((e) => e.id)).toEqual(['f.0001', 'f.0002']);
  });
});
