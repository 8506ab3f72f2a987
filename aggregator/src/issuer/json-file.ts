// The issuer's small state files (allowances, invites): read through a valibot schema, written whole and
// atomically (a temporary file renamed over the old one), 0600.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';

/** The file's content, `fallback` when it does not exist yet; an unreadable file is an error, not a reset. */
export function readJson<T>(file: string, schema: v.GenericSchema<unknown, T>, fallback: T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  }
  const parsed = v.safeParse(schema, JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}

export function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  renameSync(tmp, file);
}
