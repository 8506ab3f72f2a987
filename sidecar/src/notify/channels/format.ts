// How an alert reads as plain text in a chat message or an e-mail: its sentences (the reasons, one a line) and
// one line saying which node changed from what to what, and when. Each channel escapes it for its own markup.
import type { Alert } from '../channel.ts';

/** The reasons as sentences, one a line: the alert's text, else each reason's words. */
export function reasonLines(alert: Alert): string {
  const text = alert.text.trim();
  return text || alert.reasons.map((r) => r.text).join('\n');
}

/** "runner-node: healthy → down at 2026-12-06T12:00:00.000Z" */
export function changeLine(alert: Alert): string {
  return `${alert.node}: ${alert.previous} → ${alert.verdict} at ${alert.at}`;
}

/** The body of a chat message: the reasons, then the change. */
export function messageBody(alert: Alert): string {
  const reasons = reasonLines(alert);
  return reasons ? `${reasons}\n\n${changeLine(alert)}` : changeLine(alert);
}

/** `text` cut to at most `max` UTF-16 units (a receiver's length limit), never inside a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** `text` cut to at most `max` bytes of UTF-8 (ntfy counts bytes), on a character boundary. */
export function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let bytes = 3; // the ellipsis
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return `${out}…`;
}

/** One line for an error: control characters (line breaks, escapes) become spaces. */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ').trim();
}
