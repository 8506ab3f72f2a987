// Files the browser downloads: exports of the operator's data.
import { toCsv, type CsvColumn } from '../db/csv.ts';

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** `truwatch-<what>-<time>.csv` or `.json` with these rows. */
export function exportRows<T>(
  what: string,
  rows: T[],
  columns: readonly CsvColumn<T>[],
  format: 'csv' | 'json',
): void {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  if (format === 'json')
    download(`truwatch-${what}-${stamp}.json`, JSON.stringify(rows, null, 1), 'application/json');
  else download(`truwatch-${what}-${stamp}.csv`, toCsv(rows, columns), 'text/csv');
}
