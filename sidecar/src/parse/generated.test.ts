// The parser against the ground truth of generated logs: every execution, outcome, metric and invoice.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../protocol/node-events.ts';
import { generatedLog } from '../demo/log-text.ts';
import type { TruthExecution, TruthInvoice } from '../demo/generator.ts';
import { parseStream } from './read-log.ts';
import { Summarizer } from './summary.ts';

async function parseGenerated(tasks: number, decorate: boolean, edit = (text: string) => text) {
  const chunks: string[] = [];
  const executions: TruthExecution[] = [];
  const invoices: TruthInvoice[] = [];
  for (const chunk of generatedLog({ tasks, decorate, seed: 7 })) {
    chunks.push(chunk.text);
    executions.push(...chunk.truth.executions);
    invoices.push(...chunk.truth.invoices);
  }
  const entries: Entry[] = [];
  const parser = await parseStream(Readable.from([Buffer.from(edit(chunks.join('')))]), (batch) =>
    entries.push(...batch),
  );
  const summary = new Summarizer();
  for (const e of entries) summary.add(e);
  return { entries, executions, invoices, summary: summary.result(), counters: parser.counters };
}

describe.each([false, true])('a generated log of 800 tasks (decorated: %s)', (decorate) => {
  it('gives back every execution with its outcome, metrics and task fields', async () => {
    const { summary, executions, counters } = await parseGenerated(800, decorate);
    expect(counters.raw).toBe(0);
    expect(counters.jsonErrors).toBe(0);
    expect(summary.tasks).toHaveLength(executions.length);
    const parsed = new Map(summary.tasks.map((t) => [t.executionId, t]));
    for (const truth of executions) {
      const task = parsed.get(truth.executionId);
      expect(task, truth.executionId).toBeDefined();
      expect(task).toMatchObject({
        status: truth.outcome,
        kind: truth.kind,
        chainId: truth.chainId,
        blockNumber: truth.blockNumber,
      });
      for (const key of ['exitCode', 'steps', 'memoryPeak', 'cached'] as const)
        expect(task![key], key).toBe(truth[key]);
      if (truth.elapsedMs === undefined) expect(task!.elapsedMs).toBeUndefined();
      else expect(task!.elapsedMs).toBeCloseTo(truth.elapsedMs, 6);
    }
  });

  it('gives back every invoice with its execution and steps', async () => {
    const { summary, invoices } = await parseGenerated(800, decorate);
    expect(summary.invoices.map((i) => [i.invoiceId, i.executionId, i.steps])).toEqual(
      invoices.map((i) => [i.invoiceId, i.executionId, i.steps]),
    );
  });

  it('attributes every task line to its execution: each execution is received, started and published once', async () => {
    const { entries, executions } = await parseGenerated(800, decorate);
    const byKind = (kind: string) => {
      const counts = new Map<string, number>();
      for (const e of entries)
        if (e.kind === kind) counts.set(e.executionId!, (counts.get(e.executionId!) ?? 0) + 1);
      return counts;
    };
    for (const kind of ['task.received', 'task.started', 'task.downloaded', 'task.published']) {
      const counts = byKind(kind);
      expect(counts.has(undefined as unknown as string), `${kind} without execution`).toBe(false);
      // API tasks download no WASM.
      const expected = executions.filter((t) => kind !== 'task.downloaded' || t.kind === 'function');
      for (const truth of expected)
        expect(counts.get(truth.executionId), `${kind} ${truth.executionId}`).toBe(1);
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(expected.length);
    }
    const finishing = entries.filter((e) => e.outcome).map((e) => e.executionId);
    expect(new Set(finishing).size).toBe(finishing.length);
    expect(finishing).toHaveLength(executions.length);
  });
});

/** Cuts the JSON of every `Command execution stdout` entry in the middle (as a capped or cut entry would be). */
function cutMetrics(text: string): { text: string; cut: number } {
  const out: string[] = [];
  let cut = 0;
  let kept: number | undefined; // continuation lines of the metrics entry being cut still to keep
  for (const line of text.split('\n')) {
    if (/^\d{4}-\d\d-\d\d /.test(line)) kept = undefined;
    else if (kept !== undefined) {
      if (kept-- > 0) out.push(line);
      continue;
    }
    const at = line.indexOf('Command execution stdout:');
    if (at === -1) {
      out.push(line);
      continue;
    }
    cut++;
    const json = line.indexOf('{', at);
    if (json === -1) {
      out.push(line);
      kept = 3;
    } else out.push(line.slice(0, json + Math.floor((line.length - json) / 2)));
  }
  return { text: out.join('\n'), cut };
}

describe('a generated log whose metrics JSON is cut', () => {
  it('no outcome is invented: failed executions do not count as completed', async () => {
    let cut = 0;
    const { summary, executions, counters } = await parseGenerated(800, false, (text) => {
      const edited = cutMetrics(text);
      cut = edited.cut;
      return edited.text;
    });
    const failed = executions.filter((e) => e.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(20);
    expect(counters.jsonErrors).toBe(cut);
    const parsed = new Map(summary.tasks.map((t) => [t.executionId, t]));
    expect(parsed.size).toBe(executions.length);
    // The runner writes `Execution … completed` for failed executions too: with their exit code cut off, the
    // log does not say how they ended.
    for (const truth of failed)
      expect(parsed.get(truth.executionId)!.status, truth.executionId).toBeUndefined();
    // Every outcome given is the true one; executions without metrics are finished by their completion line.
    const unknown = summary.tasks.filter((t) => t.status === undefined);
    expect(unknown).toHaveLength(cut);
    for (const truth of executions) {
      const status = parsed.get(truth.executionId)!.status;
      if (status !== undefined) expect(status, truth.executionId).toBe(truth.outcome);
    }
  });
});
