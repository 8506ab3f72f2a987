import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { EntrySchema, type Entry } from '../../../protocol/node-events.ts';
import { IoStore } from './io-store.ts';
import { EntryParser } from './parser.ts';
import { linesOf, parseText } from '../../../test/support/parse-text.ts';

const sample = readFileSync(
  new URL('../../../test/fixtures/runner-node-sample.log', import.meta.url),
  'utf8',
);
const ADDRESS = '0x8aa0d91a30f010091637835848fa6d17e55ee9cf';
const E1 = '3f2a9c1e-8b7d-4c2a-9e1f-0a1b2c3d4e5f';
const E2 = '7b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const E3 = 'c0ffee00-1111-4222-8333-444455556666';

describe('the sample log', () => {
  const entries = parseText(sample);
  const byLine = (needle: string): Entry => {
    const found = entries.filter((e) => e.message.includes(needle));
    expect(found, needle).toHaveLength(1);
    return found[0]!;
  };

  it('every entry validates against the contract', () => {
    for (const e of entries) expect(v.safeParse(EntrySchema, e).issues, e.message).toBeUndefined();
  });

  it('frames 40 lines into 28 entries: continuation lines join their entry', () => {
    expect(sample.split('\n').filter(Boolean)).toHaveLength(40);
    expect(entries).toHaveLength(28);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
  });

  it('classifies each line with its fields', () => {
    const cases: [string, Partial<Entry>][] = [
      [
        'requested registration',
        { kind: 'node.registered', level: 'info', version: '2.0.0-beta.5', address: ADDRESS },
      ],
      ['registered successfully', { kind: 'node.registered', ts: '2025-11-24T13:55:01.000Z' }],
      [
        'downloaded successfully',
        { kind: 'task.downloaded', executionId: E1, task: { path: 'QmExampleTaskPath123' } },
      ],
      ['TaskSubscriber message received', { kind: 'message', slots: { subscriber: 'TaskSubscriber' } }],
      [
        'TaskSubscriber processing started. Using slot 1/4',
        { kind: 'slot.acquired', slots: { active: 1, total: 4, subscriber: 'TaskSubscriber' } },
      ],
      ['wasm trap: unreachable', { kind: 'task.stderr', level: 'debug', executionId: E2 }],
      ['Message published to compute_outcome', { kind: 'task.published', topic: 'compute_outcome' }],
      [
        'TaskSubscriber processing completed',
        { kind: 'slot.released', slots: { active: 0, total: 4, subscriber: 'TaskSubscriber' } },
      ],
      [
        'InvoiceSubscriber processing started',
        { kind: 'slot.acquired', slots: { active: 1, total: 4, subscriber: 'InvoiceSubscriber' } },
      ],
      [
        'invoice_paid',
        {
          kind: 'invoice.paid',
          topic: 'invoice_paid',
          paid: { invoiceId: 'inv-20251124-0001' },
          level: 'warn',
        },
      ],
      ['Failed to publish message', { kind: 'message', level: 'error', version: '1.4.2' }],
      ['Unrelated component message', { kind: 'message', component: 'some-other-package' }],
      ['Using slot 2/4', { kind: 'slot.acquired', slots: { active: 2, total: 4 } }],
      ['Released slot (1/4 now active)', { kind: 'slot.released', slots: { active: 1, total: 4 } }],
      ['Using slot 3/4', { kind: 'slot.acquired', address: ADDRESS }],
    ];
    for (const [needle, expected] of cases) expect(byLine(needle), needle).toMatchObject(expected);
  });

  it('takes the Docker timestamp over the runner timestamp', () => {
    const last = entries.at(-1)!;
    expect(last).toMatchObject({
      ts: '2025-11-24T13:56:26.123Z',
      kind: 'slot.acquired',
      message: 'Using slot 1/4',
    });
    // A line without a timestamp continues the entry before it, whatever it holds.
    expect(last.text).toBe('{"standalone":"json line without timestamp"}');
  });

  it('reads the three transcript layouts of task_created', () => {
    const received = entries.filter((e) => e.kind === 'task.received');
    expect(received.map((e) => e.executionId)).toEqual([E1, E2, E3]);
    expect(received[0]!.task).toEqual({
      chainId: '43114',
      blockNumber: 61234567,
      kind: 'function',
      path: 'QmExampleTaskPath123',
    });
    expect(received[1]!.task).toMatchObject({
      taskId: expect.stringMatching(/^0x9e4c/),
      chainId: '43114',
      blockNumber: 61234570,
    });
    expect(received[2]!.text).toContain('"taskType": "wasm"');
  });

  it('redacts task input in the text and keeps it for the io endpoint', () => {
    const io = new IoStore();
    const redacted = parseText(sample, new EntryParser(io));
    const first = redacted.find((e) => e.kind === 'task.received')!;
    expect(JSON.stringify(redacted)).not.toContain('function main');
    expect(first.io?.input).toMatchObject({ redacted: true, bytes: 52 });
    expect(first.message).toContain('"input":{"redacted":true,"bytes":52,"sha256":"');
    expect(io.get(E1)?.input).toBe('{"Input":"42","source":"function main(x){return x}"}');
  });

  it('correlates metrics, completions and invoices to their executions', () => {
    const metrics = entries.filter((e) => e.kind === 'task.metrics');
    expect(metrics.map((e) => [e.executionId, e.outcome])).toEqual([
      [E1, 'completed'],
      [E3, 'failed'],
      [E2, 'completed'],
    ]);
    expect(metrics[0]!.metrics).toEqual({
      elapsedMs: 12.345678,
      exitCode: 0,
      steps: 523441,
      gasLimit: 10000000000,
      memoryPeak: 134217728,
      memoryLimit: 536870912,
      callPeak: 12,
      callLimit: 1000,
      framePeak: 345,
      frameLimit: 10000,
      wasmSize: 204800,
      wasmHash: '8b3a5beb7dffee3232bea2492858c06a61491d41bb2514390df70a51a5a1e98b',
      cached: true,
    });
    expect(metrics[1]!.metrics).toMatchObject({
      elapsedMs: 2500,
      exitCode: 1,
      steps: 150000000,
      cached: false,
    });
    expect(metrics[1]!.metrics?.callPeak).toBeUndefined();
    const completed = entries.filter((e) => e.kind === 'task.completed');
    expect(completed.map((e) => [e.executionId, e.outcome])).toEqual([
      [E1, undefined],
      [E1, undefined],
    ]);
    const invoice = entries.find((e) => e.kind === 'invoice')!;
    expect(invoice.executionId).toBe(E1);
    expect(invoice.invoice).toMatchObject({
      invoiceId: 'inv-20251124-0001',
      steps: 523441,
      stepGasPrice: 1,
      chainId: '43114',
    });
    expect(invoice.invoice?.lineItems[0]).toMatchObject({
      operation: 'compute',
      account: expect.stringMatching(/^0x26d1/),
    });
  });

  it('a first continuation line over the entry bound is dropped: no text, flagged truncated', () => {
    const [entry, ...rest] = parseText(
      `2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 hello\n${'x'.repeat(300 * 1024)}`,
    );
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({ message: 'hello', text: undefined, truncated: true });
  });

  it('keeps continuation lines of a stack trace', () => {
    expect(byLine('Failed to publish message').text).toBe(
      'Error: connect ECONNREFUSED 10.0.0.5:4222\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
    );
  });
});

describe('decorations', () => {
  const plain = '2025-11-24 13:56:23 info: @truebit/worker-runner-node:2.0.0 Using slot 2/4';
  const expected = {
    kind: 'slot.acquired',
    level: 'info',
    slots: { active: 2, total: 4 },
    ts: '2025-11-24T13:56:23.000Z',
  };
  it.each([
    ['plain', plain],
    ['compose prefix', `runner-node  | ${plain}`],
    ['compose prefix, one space', `runner-node | ${plain}`],
    [
      'ANSI colours',
      plain
        .replace('2025-11-24 13:56:23', '\x1b[90m2025-11-24 13:56:23\x1b[39m')
        .replace('info', '\x1b[32minfo\x1b[39m'),
    ],
    ['CRLF', `${plain}\r`],
    ['everything', `\x1b[36mrunner-node  |\x1b[0m ${plain.replace('info', '\x1b[32minfo\x1b[39m')}\r`],
  ])('%s', (_, line) => {
    const [entry] = parseText(line);
    expect(entry).toMatchObject(expected);
    expect(entry!.message).toBe('Using slot 2/4');
  });

  it('a Docker timestamp in front wins over the runner one, whole seconds too', () => {
    expect(parseText(`2026-11-21T09:04:39Z ${plain}`)[0]!.ts).toBe('2026-11-21T09:04:39.000Z');
    expect(parseText(`runner-node  | 2025-11-24T13:56:26.5Z ${plain}`)[0]!.ts).toBe(
      '2025-11-24T13:56:26.500Z',
    );
  });

  it('a continuation line with the compose prefix loses the prefix', () => {
    const [entry] = parseText(
      `runner-node  | 2025-11-24 13:55:41 debug: @truebit/worker-runner-node:2.0.0 Command execution stdout:\nrunner-node  | {"wasi":{"exitCode":3}}`,
    );
    expect(entry!.metrics).toEqual({ exitCode: 3 });
  });
});

describe('correlation with overlapping executions', () => {
  const h = (t: string) => `2025-11-24 10:00:${t} info: @truebit/worker-runner-node:2.0.0`;
  const received = (t: string, id: string, path: string) =>
    `${h(t)} Message received from task_created: {"executionId":"${id}","taskPath":"${path}","chainId":"1"}`;

  it('metrics without an id go to the most recently started execution without metrics', () => {
    const entries = parseText(
      [
        received('01', 'A', 'pa'),
        received('02', 'B', 'pb'),
        `${h('03')} Task pa downloaded successfully`,
        `${h('04')} Starting task execution {"executionId":"A"}`,
        `${h('05')} Starting task execution {"executionId":"B"}`,
        `${h('06')} Command execution stdout: {"wasi":{"exitCode":0}}`,
        `${h('07')} Command execution stderr: boom`,
        `${h('08')} Command execution stdout: {"wasi":{"exitCode":2}}`,
        `${h('09')} Message published to compute_outcome`,
        `${h('10')} Execution B completed`,
        `${h('11')} Execution A completed`,
      ].join('\n'),
    );
    expect(entries.map((e) => [e.kind, e.executionId ?? null, e.outcome ?? null])).toEqual([
      ['task.received', 'A', null],
      ['task.received', 'B', null],
      ['task.downloaded', 'A', null],
      ['task.started', 'A', null],
      ['task.started', 'B', null],
      ['task.metrics', 'B', 'completed'],
      ['task.stderr', 'A', null],
      ['task.metrics', 'A', 'failed'],
      ['task.published', 'A', null],
      ['task.completed', 'B', null],
      ['task.completed', 'A', null],
    ]);
  });

  it('a completion without metrics finishes as completed; metrics without exit code do not finish', () => {
    const entries = parseText(
      [
        received('01', 'A', 'pa'),
        `${h('02')} Starting task execution`,
        `${h('03')} Command execution stdout: {"elapsed":"5000000"}`,
        `${h('04')} Execution A completed`,
        `${h('05')} Execution Z completed`,
        `${h('06')} Execution Y failed`,
      ].join('\n'),
    );
    expect(entries.map((e) => [e.executionId ?? null, e.outcome ?? null])).toEqual([
      ['A', null],
      ['A', null],
      ['A', null],
      ['A', 'completed'],
      ['Z', 'completed'],
      ['Y', 'failed'],
    ]);
  });

  it('metrics whose JSON is cut: the completion line does not make the execution completed', () => {
    const entries = parseText(
      [
        received('01', 'A', 'pa'),
        received('02', 'B', 'pb'),
        `${h('03')} Starting task execution {"executionId":"A"}`,
        `${h('04')} Command execution stdout:`,
        '{',
        '  "elapsed": "5000000",',
        `${h('05')} Execution A completed`,
        `${h('06')} Starting task execution {"executionId":"B"}`,
        `${h('07')} Command execution stdout: {"elapsed":"5000000","wasi":{"exit`,
        `${h('08')} Execution B completed`,
        `${h('09')} Execution B failed`,
      ].join('\n'),
    );
    expect(entries.map((e) => [e.kind, e.executionId ?? null, e.outcome ?? null])).toEqual([
      ['task.received', 'A', null],
      ['task.received', 'B', null],
      ['task.started', 'A', null],
      ['task.metrics', 'A', null],
      ['task.completed', 'A', null],
      ['task.started', 'B', null],
      ['task.metrics', 'B', null],
      ['task.completed', 'B', null],
      // A later line that states the outcome decides it.
      ['task.failed', 'B', 'failed'],
    ]);
  });

  it('a snapshot after unreadable metrics carries them: the completion line after a restore decides nothing', () => {
    const before = new EntryParser();
    before.push(
      linesOf(
        [
          received('01', 'A', 'pa'),
          `${h('02')} Starting task execution {"executionId":"A"}`,
          `${h('03')} Command execution stdout: {"elapsed":"5000000","wasi":{"exit`,
          `${h('04')} Starting task execution {"executionId":"Z"}`,
        ].join('\n'),
      ),
    );
    const state = before.snapshot();
    expect(state).toBeDefined();
    const after = new EntryParser();
    after.restore(JSON.parse(JSON.stringify(state)) as typeof state & object);
    const rest = [
      ...after.push(linesOf(`${h('05')} Execution A completed\n${h('06')} Execution A failed`)),
      ...after.flush(),
    ];
    expect(rest.filter((e) => e.executionId === 'A').map((e) => [e.kind, e.outcome ?? null])).toEqual([
      ['task.completed', null],
      ['task.failed', 'failed'],
    ]);
  });

  it('executions open for more than a day are dropped', () => {
    const entries = parseText(
      [
        received('01', 'A', 'pa'),
        `2025-11-25 10:00:02 info: @truebit/worker-runner-node:2.0.0 Command execution stdout: {"wasi":{"exitCode":0}}`,
      ].join('\n'),
    );
    expect(entries[1]!.executionId).toBeUndefined();
  });

  it('is deterministic: reading the same log again gives the same entries', () => {
    expect(parseText(sample)).toEqual(parseText(sample));
  });
});

describe('framing live', () => {
  it('a continuation after a quiet-time flush re-emits the same entry with the full text', () => {
    const parser = new EntryParser();
    const head = '2025-11-24 10:00:00 debug: @truebit/worker-runner-node:2.0.0 Command execution stdout:';
    expect(
      parser.push(
        linesOf(
          `2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 Starting task execution {"executionId":"A"}\n${head}`,
        ),
      ),
    ).toHaveLength(1);
    const early = parser.flush();
    expect(early).toHaveLength(1);
    expect(early[0]!.metrics).toBeUndefined();
    const late = [
      ...parser.push([{ cursor: 't.9', stream: 'stdout', text: '{"wasi":{"exitCode":0}}' }]),
      ...parser.flush(),
    ];
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({
      id: early[0]!.id,
      executionId: 'A',
      outcome: 'completed',
      metrics: { exitCode: 0 },
    });
    expect(parser.counters.entries).toBe(2);
  });

  it('metrics emitted early with half their JSON take their exit code when they come again whole', () => {
    const parser = new EntryParser();
    const head = '2025-11-24 10:00:00 debug: @truebit/worker-runner-node:2.0.0';
    parser.push(
      linesOf(
        `${head} Starting task execution {"executionId":"A"}\n${head} Command execution stdout:\n{\n  "wasi": {`,
      ),
    );
    expect(parser.flush()[0]).toMatchObject({ kind: 'task.metrics', executionId: 'A', outcome: undefined });
    const late = [
      ...parser.push(linesOf('    "exitCode": 0\n  }\n}').map((l) => ({ ...l, cursor: `u${l.cursor}` }))),
      ...parser.push(linesOf(`${head} Execution A completed`).map((l) => ({ ...l, cursor: `v${l.cursor}` }))),
      ...parser.flush(),
    ];
    expect(late.map((e) => [e.kind, e.outcome ?? null])).toEqual([
      ['task.metrics', 'completed'],
      ['task.completed', null],
    ]);
  });

  it('an entry that finished its execution keeps its outcome when it comes again with more lines', () => {
    const parser = new EntryParser();
    const head = '2025-11-24 10:00:00 debug: @truebit/worker-runner-node:2.0.0';
    parser.push(
      linesOf(
        `${head} Starting task execution {"executionId":"A"}\n${head} Command execution stdout: {"wasi":{"exitCode":2}}`,
      ),
    );
    const first = parser.flush();
    expect(first[0]).toMatchObject({ executionId: 'A', outcome: 'failed' });
    const again = [
      ...parser.push([{ cursor: 't.9', stream: 'stdout', text: '  (late line)' }]),
      ...parser.flush(),
    ];
    expect(again[0]).toMatchObject({
      id: first[0]!.id,
      executionId: 'A',
      outcome: 'failed',
      text: '  (late line)',
    });
  });
});
