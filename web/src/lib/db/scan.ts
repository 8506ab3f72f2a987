// Reading values for keys found through an index. Index keys are cheap to read (getAllKeys), values are not,
// so queries find and order keys first and read the values of one page last.

/** Reads values for keys (one read-only transaction), in the same order; missing ones (deleted meanwhile) are dropped. */
export async function valuesOf<K, T>(
  get: (keys: K[]) => PromiseLike<(T | undefined)[]>,
  keys: K[],
): Promise<T[]> {
  if (!keys.length) return [];
  return (await get(keys)).filter((v): v is T => v !== undefined);
}
