import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { EntrySchema, type Entry } from '../../../protocol/node-events.ts';
import { MAX_LINE_BYTES } from '../sources/lines.ts';
import { MAX_CONTINUATION_CHARS } from './framer.ts';
import type { ParserCounters } from './parser.ts';
import { parseStream } from './read-log.ts';

const sample = readFileSync(new URL('../../../test/fixtures/runner-node-sample.log', import.meta.url));

async function parseChunks(chunks: Buffer[]): Promise<{ entries: Entry[]; counters: ParserCounters }> {
  const entries: Entry[] = [];
  const parser = await parseStream(Readable.from(chunks), (batch) => entries.push(...batch));
  return { entries, counters: parser.counters };
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectValid(entries: Entry[]): void {
  for (const e of entries) expect(v.safeParse(EntrySchema, e).issues).toBeUndefined();
}

describe('chunking', () => {
  it('the sample split at every byte offset gives the same entries', async () => {
    const whole = await parseChunks([sample]);
    for (let k = 1; k < sample.length; k++) {
      const split = await parseChunks([sample.subarray(0, k), sample.subarray(k)]);
      expect(split.entries, `split at ${k}`).toEqual(whole.entries);
    }
  });

  it('CRLF line ends give the same entries as LF', async () => {
    const crlf = Buffer.from(sample.toString('utf8').replace(/\n/g, '\r\n'));
    const a = await parseChunks([sample]);
    const b = await parseChunks([crlf]);
    expect(b.entries.map(({ id: _, ...e }) => e)).toEqual(a.entries.map(({ id: _, ...e }) => e));
  });
});

describe('hostile input', () => {
  it('random bytes: no crash, every entry valid, lines bounded', async () => {
    const random = prng(42);
    const bytes = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.02 ? 10 : Math.floor(random() * 256);
    const { entries, counters } = await parseChunks([bytes]);
    expect(entries.length).toBeGreaterThan(1000);
    expectValid(entries);
    expect(entries.every((e) => e.kind === 'raw')).toBe(true);
    expect(counters.raw).toBe(entries.length);
  });

  it('invalid UTF-8 becomes replacement characters in a valid entry', async () => {
    const line = Buffer.concat([
      Buffer.from('2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 Unknown '),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(' thing\n'),
    ]);
    const { entries } = await parseChunks([line]);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.message).toBe('Unknown \uFFFD\uFFFD\uFFFD thing');
    expectValid(entries);
  });

  it('a 1 MB line is cut to the line limit and flagged', async () => {
    const head =
      '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 Message received from task_created: {"x":"';
    const line = Buffer.from(head + 'a'.repeat(1024 * 1024) + '"}\nnext line\n');
    const { entries, counters } = await parseChunks([line]);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.truncated).toBe(true);
    expect(entries[0]!.message.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(entries[0]!.text).toBe('next line');
    expect(counters.truncated).toBe(1);
    expectValid(entries);
  });

  it('task input in a line cut at the limit never reaches the entry', async () => {
    const head =
      '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 Message received from task_created: {"executionId":"A","input":"';
    const { entries } = await parseChunks([Buffer.from(head + 'secret '.repeat(20_000) + '"}\n')]);
    expect(entries[0]).toMatchObject({
      kind: 'task.received',
      truncated: true,
      io: { input: { redacted: true } },
    });
    expect(JSON.stringify(entries)).not.toContain('secret');
  });

  it('fields longer than the contract allows are cut, so every entry stays valid', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const text = [
      `2025-11-24 10:00:00 info: @truebit/${long(250)}:${long(80)} Message received from ${long(300)}: {}`,
      `2025-11-24 10:00:01 info: @truebit/worker-runner-node:2.0.0 Task ${long(400)} downloaded successfully`,
      `2025-11-24 10:00:02 info: @truebit/worker-runner-node:2.0.0 Semaphore ${long(100)} message received`,
      `2025-11-24 10:00:03 info: @truebit/worker-runner-node:2.0.0 Message received from ${long(300)}: {}`,
      `2025-11-24 10:00:04 debug: @truebit/worker-runner-node:2.0.0 Command execution stderr: ${'"input":1,'.repeat(6000)}`,
      `2025-99-99 99:99:99 info: @truebit/worker-runner-node:2.0.0 a line with an impossible time`,
    ].join('\n');
    const { entries } = await parseChunks([Buffer.from(text)]);
    expect(entries).toHaveLength(6);
    expectValid(entries);
    expect(entries[4]!.truncated).toBe(true);
    expect(entries[5]!.ts).toBe(entries[4]!.ts);
  });

  it('an endless stack trace is bounded', async () => {
    const text =
      '2025-11-24 10:00:00 error: @truebit/worker-runner-node:2.0.0 Boom\n' +
      '    at frame (x.js:1:1)\n'.repeat(50_000);
    const { entries } = await parseChunks([Buffer.from(text)]);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.truncated).toBe(true);
    expect(entries[0]!.text!.length).toBeLessThanOrEqual(MAX_CONTINUATION_CHARS);
  });

  it('truncated JSON: the entry keeps its kind, fields absent, the error counted', async () => {
    const text = [
      '2025-11-24 10:00:00 info: @truebit/worker-runner-node:2.0.0 Message received from task_created: {"executionId":"A","chainId":"4',
      '2025-11-24 10:00:01 debug: @truebit/worker-runner-node:2.0.0 Command execution stdout: {"elapsed":"1","wasi":{"exit',
      '2025-11-24 10:00:02 info: @truebit/worker-runner-node:2.0.0 InvoiceSubscriber invoice created: {"invoiceId":',
    ].join('\n');
    const { entries, counters } = await parseChunks([Buffer.from(text)]);
    expect(entries.map((e) => e.kind)).toEqual(['task.received', 'task.metrics', 'invoice']);
    expect(entries.map((e) => e.executionId)).toEqual([undefined, undefined, undefined]);
    expect(counters.jsonErrors).toBe(3);
    expectValid(entries);
  });

  it('hostile JSON values do not leak into typed fields', async () => {
    const text =
      '2025-11-24 10:00:00 debug: @truebit/worker-runner-node:2.0.0 Command execution stdout: ' +
      JSON.stringify({
        elapsed: 'NaN',
        wasi: { exitCode: '0; rm -rf' },
        metering: { last: { steps: -5 }, peak: { memory: 1e300 } },
        execution: { prepare: { cached: 'yes' } },
      });
    const { entries } = await parseChunks([Buffer.from(text)]);
    expect(entries[0]!.metrics).toBeUndefined();
    expectValid(entries);
  });
});

describe('statuses', () => {
  it('a long container name or detail is cut to the contract', async () => {
    const { fitStatus } = await import('./fit.ts');
    const { StatusSchema } = await import('../../../protocol/node-events.ts');
    const status = fitStatus({
      source: 'docker',
      state: 'waiting',
      detail: 'd'.repeat(5000),
      container: { name: 'n'.repeat(500), state: 'missing' },
    });
    expect(v.safeParse(StatusSchema, status).issues).toBeUndefined();
  });
});
