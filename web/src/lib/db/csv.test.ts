import { describe, expect, it } from 'vitest';
import { csvCell, INVOICE_CSV_COLUMNS, TASK_CSV_COLUMNS, toCsv } from './csv.ts';

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rlf', '"cr\rlf"'],
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['=1,2', '"\'=1,2"'],
    ['', ''],
  ])('writes %j as %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('writes numbers as numbers (negative ones are not formulas), and empties what is not a value', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(1.5)).toBe('1.5');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Infinity)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date(Date.UTC(2025, 0, 2)))).toBe('2025-01-02T00:00:00.000Z');
    expect(csvCell({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"');
  });
});

describe('toCsv', () => {
  it('writes a header and CRLF rows, from keys or computed columns', () => {
    const rows = [
      { id: 'a', n: 1, note: 'hello, world' },
      { id: '=evil', n: -3, note: 'line\nbreak "quoted"' },
    ];
    const csv = toCsv(rows, ['id', 'n', { header: 'note, long', value: (r) => r.note }]);
    expect(csv).toBe(
      'id,n,"note, long"\r\n' + 'a,1,"hello, world"\r\n' + '\'=evil,-3,"line\nbreak ""quoted"""\r\n',
    );
  });

  it('writes only a header for no rows', () => {
    expect(toCsv([], TASK_CSV_COLUMNS)).toBe(`${TASK_CSV_COLUMNS.map((c) => c.header).join(',')}\r\n`);
  });

  it('exports tasks and invoices with their columns', () => {
    const csv = toCsv(
      [
        {
          executionId: 'e1',
          status: 'completed' as const,
          firstSeenMs: 0,
          elapsedMs: 12.5,
          metrics: { cached: true },
        },
      ],
      TASK_CSV_COLUMNS,
    );
    expect(csv.split('\r\n')[1]).toBe('e1,completed,1970-01-01T00:00:00.000Z,,,,,,12.5,,,,true,');
    const tx = `0x${'ab'.repeat(32)}`;
    const base = { tsMs: 0, day: '1970-01-01', entryId: 'x', lineItems: [{ operation: 'pay', amount: 3 }] };
    const inv = toCsv(
      [
        { ...base, key: 'k', paid: 'unpaid' as const },
        { ...base, key: 'p', paid: 'paid' as const, paidMs: 5_000, txHash: tx },
      ],
      INVOICE_CSV_COLUMNS,
    );
    expect(inv.split('\r\n')[0]).toMatch(/,lineItems,paidAt,txHash$/);
    expect(inv.split('\r\n')[1]).toBe(
      'k,1970-01-01T00:00:00.000Z,,,,,,,"[{""operation"":""pay"",""amount"":3}]",,',
    );
    expect(inv.split('\r\n')[2]).toBe(
      `p,1970-01-01T00:00:00.000Z,,,,,,,"[{""operation"":""pay"",""amount"":3}]",1970-01-01T00:00:05.000Z,${tx}`,
    );
  });
});
