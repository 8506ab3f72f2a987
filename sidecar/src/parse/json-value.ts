// Tolerant JSON helpers for runner log text: find the JSON object in a message, and read typed fields from it
// without trusting its shape.

/** Parses the first JSON object in `text` (from its first `{`), or undefined when there is none or it is broken. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  if (start === -1) return undefined;
  const candidate = text.slice(start);
  const parsed = tryParse(candidate) ?? tryParse(candidate.slice(0, candidate.lastIndexOf('}') + 1));
  return isRecord(parsed) ? parsed : undefined;
}

function tryParse(text: string): unknown {
  if (text.length < 2) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** A non-negative safe integer from a number or a digit string; undefined otherwise. */
export function count(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** A finite number from a number or a numeric string. */
export function finite(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export function integer(value: unknown): number | undefined {
  const n = finite(value);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

export function str(value: unknown, max = 300): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** A copy without the keys whose value is undefined (absent fields stay absent), or undefined when none is left. */
export function compact<T extends object>(value: T): T | undefined {
  let out: Partial<T> | undefined;
  for (const key in value) {
    if (value[key] !== undefined) (out ??= {} as Partial<T>)[key] = value[key];
  }
  return out as T | undefined;
}
