// Task input and output never enter the stream: each JSON value under one of these keys is replaced, in the
// text itself, by {"redacted":true,"bytes":N,"sha256":"…"}. The original values are handed back so the
// sidecar can serve them to a caller with the task-data password.
import { hash } from 'node:crypto';
import type { Redacted } from '../../../protocol/node-events.ts';

const KEYS: Record<string, 'input' | 'output'> = {
  input: 'input',
  output: 'output',
  solution: 'output',
  encryptedSolution: 'output',
};
const KEY = /"(input|output|solution|encryptedSolution)"\s*:\s*/g;

export interface RedactedValue {
  role: 'input' | 'output';
  /** The value as the runner wrote it: the decoded string for a JSON string, else its JSON text. */
  value: string;
  redacted: Redacted;
}

export function mayNeedRedaction(text: string): boolean {
  return text.indexOf('put"') !== -1 || text.indexOf('olution"') !== -1;
}

/** Redacts every input/output value in `text`; returns the new text and what was taken out. */
export function redactText(text: string): { text: string; values: RedactedValue[] } {
  const values: RedactedValue[] = [];
  let result = '';
  let from = 0;
  KEY.lastIndex = 0;
  for (let m = KEY.exec(text); m; m = KEY.exec(text)) {
    const valueStart = m.index + m[0].length;
    // A value that does not end within the text (a cut line, a capped entry, an entry sent before its last
    // lines arrived) runs to the end of the text: redacted all the same.
    const complete = jsonValueEnd(text, valueStart);
    const end = complete ?? text.length;
    if (end === valueStart) continue;
    const raw = text.slice(valueStart, end);
    if (raw === 'null') continue;
    const value = !raw.startsWith('"') ? raw : complete !== undefined ? decodeString(raw) : raw.slice(1);
    const redacted = describe(value);
    values.push({ role: KEYS[m[1]!]!, value, redacted });
    result += text.slice(from, valueStart) + JSON.stringify(redacted);
    from = end;
    KEY.lastIndex = end;
  }
  return values.length === 0 ? { text, values } : { text: result + text.slice(from), values };
}

export function describe(value: string): Redacted {
  return { redacted: true, bytes: Buffer.byteLength(value, 'utf8'), sha256: hash('sha256', value, 'hex') };
}

function decodeString(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

/** Index just past the JSON value that starts at `i`, or undefined when it does not end within the text. */
function jsonValueEnd(text: string, i: number): number | undefined {
  const first = text[i];
  if (first === '"') {
    // The next quote that is not escaped (preceded by an even number of backslashes).
    for (let j = text.indexOf('"', i + 1); j !== -1; j = text.indexOf('"', j + 1)) {
      let backslashes = 0;
      while (text.charCodeAt(j - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) return j + 1;
    }
    return undefined;
  }
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        const end = jsonValueEnd(text, j);
        if (end === undefined) return undefined;
        j = end - 1;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return undefined;
  }
  const stop = /[,}\]\s]/g;
  stop.lastIndex = i;
  const m = stop.exec(text);
  const end = m ? m.index : text.length;
  return end > i ? end : undefined;
}
