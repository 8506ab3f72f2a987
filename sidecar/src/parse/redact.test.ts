import { describe, expect, it } from 'vitest';
import { describe as describeValue, redactText } from './redact.ts';

describe('redactText', () => {
  it('replaces string, object, array and number values, keeps the JSON valid', () => {
    const text = JSON.stringify({
      input: 'a "quoted" \\ value',
      nested: { output: { deep: [1, '}'] }, solution: [1, 2] },
      encryptedSolution: 42,
      other: 'kept',
    });
    const { text: out, values } = redactText(text);
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(parsed.other).toBe('kept');
    expect(parsed.input).toEqual(describeValue('a "quoted" \\ value'));
    expect(values.map((v) => [v.role, v.value])).toEqual([
      ['input', 'a "quoted" \\ value'],
      ['output', '{"deep":[1,"}"]}'],
      ['output', '[1,2]'],
      ['output', '42'],
    ]);
    expect(out).not.toContain('quoted');
  });

  it('handles escaped backslashes before the closing quote', () => {
    const { values } = redactText('{"input":"ends with a backslash \\\\","x":1}');
    expect(values[0]!.value).toBe('ends with a backslash \\');
  });

  it('redacts a value cut off by the end of the text, and leaves null alone', () => {
    const cut = redactText('{"executionId":"e2","input":{"password":"hunter2",');
    expect(cut.text).not.toContain('hunter2');
    expect(cut.values[0]!.value).toBe('{"password":"hunter2",');
    const string = redactText('{"input":"never ends');
    expect(string.text).toBe(`{"input":${JSON.stringify(describeValue('never ends'))}`);
    expect(redactText('{"input":null}').text).toBe('{"input":null}');
  });

  it('redacts a value that dresses up as a redaction descriptor', () => {
    const text = '{"input":{"redacted":true,"secret":"hunter2"}}';
    expect(redactText(text).text).not.toContain('hunter2');
  });
});
