import { describe, expect, it } from 'vitest';
import { downAlert, recoveredAlert } from '../../../../test/support/sample-alert.ts';
import { messageBody, oneLine, truncate, truncateUtf8 } from './format.ts';

describe('an alert as text', () => {
  it('the reasons, then the change; a recovery has only the change', () => {
    expect(messageBody(downAlert({ text: 'a\nb' }))).toBe(
      'a\nb\n\nrunner-node: healthy → down at 2026-12-06T12:00:00.000Z',
    );
    expect(messageBody(recoveredAlert())).toBe('runner-node: down → healthy at 2026-12-06T12:30:00.000Z');
  });

  it("the reasons' own words when the alert has no text", () => {
    expect(
      messageBody(downAlert({ text: '' }))
        .split('\n')
        .slice(0, 2),
    ).toEqual(downAlert().reasons.map((r) => r.text));
  });

  it('cuts to a limit without splitting a character', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('a😀b', 3)).toBe('a…');
    expect(truncateUtf8('ééé', 6)).toBe('ééé');
    expect(truncateUtf8('éééé', 6)).toBe('é…');
    expect(Buffer.byteLength(truncateUtf8('😀'.repeat(100), 50))).toBeLessThanOrEqual(50);
  });

  it('one line for an error', () => {
    expect(oneLine(' a\r\nb\u001b[31mc\u007f ')).toBe('a b [31mc');
  });
});
