import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeGeneratedLog } from './write-log.ts';
import { decorateLine } from './format.ts';
import {
  BLOCK_MS,
  DEFAULT_ADDRESS,
  generateBlock,
  lineWallMs,
  SLOT_TOTAL,
  TASKS_PER_BLOCK,
  type GeneratedBlock,
} from './generator.ts';
import { generatedLog } from './log-text.ts';
import { metricsFields, readGeneratedLines } from '../../../test/support/reference-reader.ts';

const FIRST =
  /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (debug|info|warn|error): @truebit\/(\S+?):(\d+\.\d+\.\d+\S*) (.*)$/;
const blocks = (from: number, count: number, seed = 1): GeneratedBlock[] =>
  Array.from({ length: count }, (_, i) => generateBlock(from + i, { seed }));

describe('generateBlock', () => {
  it('is pure and deterministic', () => {
    const a = generateBlock(5, { seed: 3 });
    generateBlock(9, { seed: 3 });
    expect(generateBlock(5, { seed: 3 })).toEqual(a);
    expect(generateBlock(5, { seed: 4 }).lines).not.toEqual(a.lines);
    expect(generateBlock(6, { seed: 3 }).lines).not.toEqual(a.lines);
  });

  it('writes the runner grammar: timestamped first lines, plain continuation lines, one address', () => {
    const startMs = Date.UTC(2025, 10, 24, 13, 0, 0);
    for (const b of [0, 1, 17]) {
      const { lines } = generateBlock(b, { startMs, speed: 2 });
      let last = -1;
      for (const line of lines) {
        expect(line.offsetMs).toBeGreaterThanOrEqual(last);
        last = line.offsetMs;
        const m = FIRST.exec(line.text);
        if (!m) {
          expect(line.text).not.toMatch(/^\d{4}-\d\d-\d\d/);
          continue;
        }
        const wall = startMs + (b * BLOCK_MS + line.offsetMs) / 2;
        expect(m[1]).toBe(
          new Date(Math.floor(wall / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' '),
        );
        if (m[3]!.startsWith('worker-runner-node'))
          expect(m[3]).toBe(`worker-runner-node-${DEFAULT_ADDRESS}`);
      }
    }
    const block0 = generateBlock(0).lines.map((l) => l.text);
    expect(
      block0.some((t) => t.endsWith(`Node with address ${DEFAULT_ADDRESS} requested registration`)),
    ).toBe(true);
    expect(
      block0.some((t) => t.endsWith(`Node with address ${DEFAULT_ADDRESS} registered successfully`)),
    ).toBe(true);
    expect(generateBlock(1).lines.some((l) => l.text.includes('registration'))).toBe(false);
  });

  it('keeps every line inside its block, in order, over many blocks', () => {
    for (let b = 0; b < 3000; b++) {
      const { lines } = generateBlock(b);
      expect(lines[0]!.offsetMs).toBeGreaterThanOrEqual(0);
      expect(lines.at(-1)!.offsetMs).toBeLessThan(BLOCK_MS);
      expect(lines.length).toBeLessThan(10_000);
    }
  });

  it('reports slot counts a semaphore of 4 would, per subscriber', () => {
    const seen = new Set<number>();
    for (const block of blocks(0, 300)) {
      const { slots } = readGeneratedLines(block.lines.map((l) => l.text));
      const active = new Map<string, number>();
      for (const s of slots) {
        const name = s.subscriber || 'TaskSubscriber'; // the short form is only used by the task subscriber
        const c = (active.get(name) ?? 0) + (s.acquire ? 1 : -1);
        active.set(name, c);
        expect(s.total).toBe(SLOT_TOTAL);
        expect(s.active).toBe(c);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(SLOT_TOTAL);
        if (s.acquire && name === 'TaskSubscriber') seen.add(c);
      }
      for (const c of active.values()) expect(c).toBe(0);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('gives a truth the correlation rules reproduce from the lines', () => {
    let executions = 0;
    let failed = 0;
    let api = 0;
    let metricsMissing = 0;
    for (const block of blocks(0, 100, 11)) {
      const read = readGeneratedLines(block.lines.map((l) => l.text));
      expect(block.truth.executions).toHaveLength(TASKS_PER_BLOCK);
      for (const t of block.truth.executions) {
        const r = read.executions.get(t.executionId)!;
        expect(r, t.executionId).toBeDefined();
        expect({ taskId: r.taskId, chainId: r.chainId, blockNumber: r.blockNumber }).toEqual({
          taskId: t.taskId,
          chainId: t.chainId,
          blockNumber: t.blockNumber,
        });
        expect(r.started && r.completed).toBe(true);
        expect(['43114', '1', '137', '8453']).toContain(t.chainId);
        expect(t.taskId.startsWith('api_')).toBe(t.kind === 'api');
        const m = r.metrics ? metricsFields(r.metrics) : {};
        const {
          executionId: _i,
          taskId: _t,
          kind: _k,
          chainId: _c,
          blockNumber: _b,
          outcome,
          ...truthMetrics
        } = t;
        expect(m).toEqual(truthMetrics);
        expect(outcome).toBe(m.exitCode !== undefined && m.exitCode !== 0 ? 'failed' : 'completed');
        if (r.stderr.length) expect(outcome).toBe('failed');
        if (t.kind === 'function' && !r.metrics) throw new Error('a function task without metrics');
        if (t.kind === 'function' && (m.steps === undefined || m.elapsedMs === undefined)) metricsMissing++;
        executions++;
        if (outcome === 'failed') failed++;
        if (t.kind === 'api') api++;
      }
      expect(read.invoices).toEqual(block.truth.invoices);
      for (const inv of block.truth.invoices) {
        const t = block.truth.executions.find((e) => e.executionId === inv.executionId)!;
        expect(t.outcome).toBe('completed');
        if (t.kind === 'function') expect(inv.steps).toBeGreaterThan(0);
        else expect(inv.steps).toBeUndefined();
      }
    }
    expect(failed / executions).toBeGreaterThan(0.05);
    expect(failed / executions).toBeLessThan(0.11);
    expect(api / executions).toBeGreaterThan(0.06);
    expect(api / executions).toBeLessThan(0.14);
    expect(metricsMissing).toBeGreaterThan(0);
  });

  it('uses every message shape and all three task_created layouts', () => {
    const text = blocks(0, 60)
      .flatMap((b) => b.lines.map((l) => l.text))
      .join('\n');
    for (const shape of [
      /Message received from task_created: \{"type":"task_created","executionId"/,
      /Message received from task_created: \{"payload":\{"type":"task_created"/,
      /"payload":\{"type":"task_created","executionId":"[^"]+","timestamp":"[^"]+","signature"/,
      /Message received from task_created: \{\n {2}"/,
      /Task Qm\w{44} downloaded successfully/,
      /Semaphore TaskSubscriber message received/,
      /Starting task execution\n/,
      /Starting task execution \{"executionId":"[0-9a-f-]{36}"\}/,
      /debug: \S+ Command execution stdout: \{"elapsed":"\d+"/,
      /Command execution stdout:\n\{\n {2}"elapsed": "\d+",\n {2}"wasi": \{ "exitCode": \d+ \},/,
      /Command execution stdout:\n\{\n {2}"elapsed": "?\d+"?,\n {2}"wasi": \{\n/,
      /Command execution stderr: /,
      /"totalTransferredBytes":\{"request":\d+,"response":\d+\}/,
      /"byteGasPrice":\d+/,
      /"stepGasPrice":\d+,"lineItem":\[\{"operation":"charge","account":"0x[0-9a-f]{40}","total_steps_computed":\d+,"peak_memory_used":\d+/,
      /"taskCreated_timeStamp":\d{13},"accounting_signature":"0x[0-9a-f]{130}"/,
      /Message received from invoice_paid: \{"invoiceId"/,
      /Semaphore InvoiceSubscriber processing started\. Using slot 1\/4/,
      /\n {4}at /,
      /warn: /,
      /error: /,
      /@truebit\/(transport-nats|wasm-cache):/,
      /Execution [0-9a-f-]{36} completed \{"executionId"/,
    ])
      expect(text).toMatch(shape);
  });

  it('makes unique execution and invoice ids', () => {
    const ids = new Set<string>();
    let count = 0;
    for (let b = 0; b < 2500; b++) {
      const { truth } = generateBlock(b);
      for (const e of truth.executions) ids.add(e.executionId);
      for (const i of truth.invoices) ids.add(i.invoiceId);
      count += truth.executions.length + truth.invoices.length;
    }
    expect(ids.size).toBe(count);
  });

  it('has the size of a real log: about 24 lines and 3.9 KB per task', () => {
    let lines = 0;
    let bytes = 0;
    for (const chunk of generatedLog({ tasks: 1600 })) {
      lines += chunk.lineCount;
      bytes += Buffer.byteLength(chunk.text);
    }
    expect(lines / 1600).toBeGreaterThan(21);
    expect(lines / 1600).toBeLessThan(27);
    expect(bytes / 1600).toBeGreaterThan(3_400);
    expect(bytes / 1600).toBeLessThan(4_400);
  });
});

describe('decorations', () => {
  it('decorate a fraction of lines, and removing them gives the line back', () => {
    const { lines } = generateBlock(2);
    const strip = (s: string) =>
      s
        .replace(/\r$/, '')
        .replace(/^runner-node {2}\| /, '')
        .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z /, '')
        .replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '');
    let decorated = 0;
    lines.forEach((line, i) => {
      const out = decorateLine(line.text, lineWallMs(2, line.offsetMs), 2, i);
      if (out !== line.text) decorated++;
      expect(strip(out)).toBe(line.text);
    });
    expect(decorated / lines.length).toBeGreaterThan(0.2);
    expect(decorated / lines.length).toBeLessThan(0.7);
  });
});

describe('writeGeneratedLog', () => {
  it('writes the log and returns its truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'truwatch-gen-'));
    try {
      const path = join(dir, 'log.txt');
      const truth = await writeGeneratedLog(path, { tasks: 21, seed: 5, decorate: false });
      const text = readFileSync(path, 'utf8');
      expect(truth.executions).toHaveLength(21);
      expect(truth.blocks).toBe(3);
      expect(Buffer.byteLength(text)).toBe(truth.bytes);
      expect(text.split('\n').length - 1).toBe(truth.lines);
      const read = readGeneratedLines(text.slice(0, -1).split('\n'));
      expect([...read.executions.keys()]).toEqual(truth.executions.map((e) => e.executionId));
      const decorated = await writeGeneratedLog(path, { tasks: 21, seed: 5, decorate: true });
      expect(decorated.executions).toEqual(truth.executions);
      expect(readFileSync(path, 'utf8')).toMatch(/\r\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
