import { describe, expect, it } from 'vitest';
import { lineItemText } from './invoice-basis.ts';

const OWN = '0x7E57a3c1b9d24f6085e1c0a9b3d2f4e6a8c0b1d3';

describe('lineItemText', () => {
  it('says a charge is steps times the step gas price when they multiply to it', () => {
    const inv = { stepGasPrice: 2, lineItems: [] };
    expect(
      lineItemText(inv, { operation: 'charge', steps: 523_441, amount: 1_046_882, account: '0xabc' }, OWN),
    ).toEqual({
      operation: 'charge',
      amount: '1,046,882',
      basis: '= 523,441 steps × 2 stepGasPrice',
      toNode: false,
    });
  });

  it('says bytes times the byte gas price for an API task', () => {
    const inv = { byteGasPrice: 5, lineItems: [] };
    expect(
      lineItemText(inv, { operation: 'charge', requestBytes: 200, responseBytes: 1_000, amount: 6_000 }, OWN)
        .basis,
    ).toBe('= 1,200 bytes (200 request + 1,000 response) × 5 byteGasPrice');
  });

  it('invents no "=" when the figures do not give the amount, nor a price the invoice lacks', () => {
    expect(lineItemText({ stepGasPrice: 3, lineItems: [] }, { steps: 10, amount: 31 }, OWN).basis).toBe(
      '10 steps at 3 stepGasPrice',
    );
    expect(lineItemText({ lineItems: [] }, { operation: 'compute', steps: 523_441 }, OWN)).toEqual({
      operation: 'compute',
      basis: '523,441 steps',
      toNode: false,
    });
  });

  it("marks a line item on the node's own address, in any case; a pay item has no basis", () => {
    expect(
      lineItemText({ lineItems: [] }, { operation: 'pay', account: OWN.toLowerCase(), amount: 9 }, OWN),
    ).toEqual({
      operation: 'pay',
      amount: '9',
      toNode: true,
    });
    expect(lineItemText({ lineItems: [] }, { account: OWN }, undefined)).toEqual({
      operation: 'other',
      toNode: false,
    });
  });
});
