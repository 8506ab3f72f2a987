// The invoice_paid rule: the notice as a fact (which invoice, which transaction), on the sample log's line, on the
// demo's lines against their ground truth, and a payload that names no invoice or is not JSON.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { EntrySchema } from '../../../protocol/node-events.ts';
import { generatedLog } from '../demo/log-text.ts';
import { EntryParser } from './parser.ts';
import { parseText } from '../../../test/support/parse-text.ts';

const HEAD = '2025-11-24 13:56:20 info: @truebit/worker-runner-node:2.0.0 ';
const TX = `0x${'ab'.repeat(32)}`;

function parseOne(message: string) {
  const parser = new EntryParser();
  const entries = parseText(`${HEAD}${message}\n`, parser);
  expect(entries).toHaveLength(1);
  expect(v.safeParse(EntrySchema, entries[0]).issues).toBeUndefined();
  return { entry: entries[0]!, jsonErrors: parser.counters.jsonErrors };
}

describe('invoice_paid', () => {
  it('the sample log line: the invoice it names, no transaction hash', () => {
    const sample = readFileSync(
      new URL('../../../test/fixtures/runner-node-sample.log', import.meta.url),
      'utf8',
    );
    const paid = parseText(sample).filter((e) => e.kind === 'invoice.paid');
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ topic: 'invoice_paid', paid: { invoiceId: 'inv-20251124-0001' } });
    expect(paid[0]!.paid).not.toHaveProperty('txHash');
  });

  it('keeps the transaction hash exactly as written', () => {
    const upper = `0x${'AB'.repeat(32)}`;
    const { entry, jsonErrors } = parseOne(
      `Message received from invoice_paid: {"invoiceId":"i-1","txHash":"${upper}"}`,
    );
    expect(entry).toMatchObject({ kind: 'invoice.paid', paid: { invoiceId: 'i-1', txHash: upper } });
    expect(jsonErrors).toBe(0);
  });

  it('drops a txHash that is not a transaction hash, keeps the invoice', () => {
    for (const bad of ['0x1234', `${TX}00`, `0x${'zz'.repeat(32)}`, 42]) {
      const { entry } = parseOne(
        `Message received from invoice_paid: ${JSON.stringify({ invoiceId: 'i-1', txHash: bad })}`,
      );
      expect(entry.kind).toBe('invoice.paid');
      expect(entry.paid).toEqual({ invoiceId: 'i-1' });
    }
  });

  it('a payload that is not JSON stays a message and counts as a JSON error', () => {
    const { entry, jsonErrors } = parseOne(
      `Message received from invoice_paid: {"invoiceId":"i-1","txHash":`,
    );
    expect(entry).toMatchObject({ kind: 'message', topic: 'invoice_paid' });
    expect(entry.paid).toBeUndefined();
    expect(jsonErrors).toBe(1);
  });

  it('a payload without an invoice id (or with one too long) stays a message', () => {
    for (const body of [
      `{"txHash":"${TX}"}`,
      '{"invoiceId":""}',
      '{"invoiceId":7}',
      `{"invoiceId":"${'x'.repeat(201)}"}`,
    ]) {
      const { entry, jsonErrors } = parseOne(`Message received from invoice_paid: ${body}`);
      expect(entry, body).toMatchObject({ kind: 'message', topic: 'invoice_paid' });
      expect(entry.paid).toBeUndefined();
      expect(jsonErrors).toBe(0);
    }
  });

  it("the demo's notices: one per paid invoice of the ground truth, with its hash", () => {
    const chunks = [...generatedLog({ tasks: 300, decorate: true, seed: 3 })];
    const truth = chunks.flatMap((c) => c.truth.invoices);
    const entries = parseText(chunks.map((c) => c.text).join(''));
    const paid = entries.filter((e) => e.kind === 'invoice.paid').map((e) => e.paid);
    const expected = truth.filter((i) => i.txHash).map((i) => ({ invoiceId: i.invoiceId, txHash: i.txHash }));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(truth.length);
    expect(new Set(paid.map((p) => JSON.stringify(p)))).toEqual(
      new Set(expected.map((p) => JSON.stringify(p))),
    );
    expect(paid).toHaveLength(expected.length);
  });
});
