// CSV for exports (RFC 4180: CRLF rows, quoted fields where needed), safe to open in a spreadsheet: a text
// cell that starts like a formula (= + - @, tab, CR) is prefixed with ' so it is shown, never evaluated.
import type { InvoiceRecord, TaskRecord } from './schema.ts';

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: empty for null/undefined/NaN, ISO for dates, JSON for objects; text guarded and quoted as needed. */
export function csvCell(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header row and one row per item, each ended by CRLF. Columns may be keys of the rows or computed. */
export function toCsv<T>(rows: Iterable<T>, columns: readonly (CsvColumn<T> | (keyof T & string))[]): string {
  const cols: CsvColumn<T>[] = columns.map((c) =>
    typeof c === 'string' ? { header: c, value: (row: T) => row[c] } : c,
  );
  let out = `${cols.map((c) => csvCell(c.header)).join(',')}\r\n`;
  for (const row of rows) out += `${cols.map((c) => csvCell(c.value(row))).join(',')}\r\n`;
  return out;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The Tasks page's export columns. */
export const TASK_CSV_COLUMNS: readonly CsvColumn<TaskRecord>[] = [
  { header: 'executionId', value: (t) => t.executionId },
  { header: 'status', value: (t) => t.status },
  { header: 'firstSeen', value: (t) => iso(t.firstSeenMs) },
  { header: 'finished', value: (t) => iso(t.finishedMs) },
  { header: 'taskId', value: (t) => t.taskId },
  { header: 'chainId', value: (t) => t.chainId },
  { header: 'blockNumber', value: (t) => t.blockNumber },
  { header: 'kind', value: (t) => t.kind },
  { header: 'elapsedMs', value: (t) => t.elapsedMs },
  { header: 'steps', value: (t) => t.steps },
  { header: 'exitCode', value: (t) => t.metrics?.exitCode },
  { header: 'memoryPeak', value: (t) => t.metrics?.memoryPeak },
  { header: 'cached', value: (t) => t.metrics?.cached },
  { header: 'invoiceId', value: (t) => t.invoiceId },
];

/** The Invoices page's export columns (one row per invoice; line items as JSON). */
export const INVOICE_CSV_COLUMNS: readonly CsvColumn<InvoiceRecord>[] = [
  { header: 'invoiceId', value: (i) => i.invoiceId ?? i.key },
  { header: 'time', value: (i) => iso(i.tsMs) },
  { header: 'executionId', value: (i) => i.executionId },
  { header: 'taskId', value: (i) => i.taskId },
  { header: 'chainId', value: (i) => i.chainId },
  { header: 'steps', value: (i) => i.steps },
  { header: 'stepGasPrice', value: (i) => i.stepGasPrice },
  { header: 'byteGasPrice', value: (i) => i.byteGasPrice },
  { header: 'lineItems', value: (i) => i.lineItems },
  { header: 'paidAt', value: (i) => iso(i.paidMs) },
  { header: 'txHash', value: (i) => i.txHash },
];
