// What each number of an invoice is, in words: a line item's amount with its basis when the invoice gives one
// ("1,046,882 = 523,441 steps × 2 stepGasPrice"), in the units the invoice names (its price field), never a token
// or a fiat value the invoice does not state.
import type { Invoice, InvoiceLineItem } from '../../../../protocol/node-events.ts';
import { formatCount } from './format.ts';

export interface LineItemText {
  operation: string;
  /** The amount, formatted; undefined when the line item has none. */
  amount?: string;
  /**
   * How the amount comes about, when the invoice says: "= 523,441 steps × 2 stepGasPrice" when the figures
   * multiply to the amount, else what the line item counts ("523,441 steps at 2 stepGasPrice").
   */
  basis?: string;
  /** The line item's account is the node's own address. */
  toNode: boolean;
}

interface Measure {
  count: number;
  what: string;
  price?: { value: number; name: 'stepGasPrice' | 'byteGasPrice' };
}

/** The steps or bytes a line item counts, and the invoice's price for them. */
function measure(inv: Invoice, item: InvoiceLineItem): Measure | undefined {
  if (item.steps !== undefined)
    return {
      count: item.steps,
      what: 'steps',
      ...(inv.stepGasPrice !== undefined && { price: { value: inv.stepGasPrice, name: 'stepGasPrice' } }),
    };
  if (item.requestBytes === undefined && item.responseBytes === undefined) return undefined;
  const [req, res] = [item.requestBytes ?? 0, item.responseBytes ?? 0];
  return {
    count: req + res,
    what: `bytes (${formatCount(req)} request + ${formatCount(res)} response)`,
    ...(inv.byteGasPrice !== undefined && { price: { value: inv.byteGasPrice, name: 'byteGasPrice' } }),
  };
}

/** One line item in words; `own` is the node's address (any case), when known. */
export function lineItemText(inv: Invoice, item: InvoiceLineItem, own: string | undefined): LineItemText {
  const out: LineItemText = {
    operation: item.operation || 'other',
    toNode: !!own && item.account?.toLowerCase() === own.toLowerCase(),
  };
  if (item.amount !== undefined) out.amount = formatCount(item.amount);
  const m = measure(inv, item);
  if (!m) return out;
  const price = m.price && `${formatCount(m.price.value)} ${m.price.name}`;
  out.basis =
    m.price && m.count * m.price.value === item.amount
      ? `= ${formatCount(m.count)} ${m.what} × ${price}`
      : `${formatCount(m.count)} ${m.what}${price ? ` at ${price}` : ''}`;
  return out;
}
