// The federation folder's layout holds: page/ (what a page loads) never loads worker/ (what the federation
// worker runs) and the worker never loads page/; the shared files (codes, settings, status) load neither; and
// no file imports itself back through others, counting lazy imports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = dirname(fileURLToPath(import.meta.url));
const SOURCE = /\.(ts|svelte)$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? files(join(dir, d.name))
      : SOURCE.test(d.name) && !d.name.endsWith('.test.ts')
        ? [join(dir, d.name)]
        : [],
  );
}

interface Import {
  /** Relative to the federation folder. */
  target: string;
  typeOnly: boolean;
}

/** The relative imports of a file (static, re-exports and lazy `import()`), resolved. */
function imports(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.'))
      found.push({ target: relative(ROOT, resolve(dirname(file), specifier)), typeOnly });
  };
  for (const m of text.matchAll(/\b(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/g))
    add(m[2]!, m[1] !== undefined);
  for (const m of text.matchAll(/\bimport\s*(?:\(\s*)?['"]([^'"]+)['"]/g)) add(m[1]!, false);
  return found;
}

const graph = new Map(files(ROOT).map((file) => [relative(ROOT, file), imports(file)]));
/** Which side a file is on; what lies outside the folder (app/, db/, protocol/…) is for both. */
const side = (path: string) =>
  path.startsWith('page/') ? 'page' : path.startsWith('worker/') ? 'worker' : 'shared';

describe('the federation folder', () => {
  it('is read as expected', () => {
    expect(graph.get('page/boot-check.ts')).toEqual([
      { target: 'page/enabled-flag.ts', typeOnly: false },
      { target: 'page/boot.ts', typeOnly: false },
    ]);
    expect(graph.get('page/client.svelte.ts')).toContainEqual({ target: 'worker/worker.ts', typeOnly: true });
  });

  it('keeps the page side and the worker side apart (a page may know the worker API types only)', () => {
    const crossings: string[] = [];
    for (const [from, list] of graph)
      for (const { target, typeOnly } of list) {
        const [a, b] = [side(from), side(target)];
        const allowed = a === b || b === 'shared' || (a === 'page' && b === 'worker' && typeOnly);
        if (!allowed) crossings.push(`${from} → ${target}`);
      }
    expect(crossings).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') return void cycles.push([...path, node].join(' → '));
      state.set(node, 'open');
      for (const { target } of graph.get(node) ?? []) if (graph.has(target)) visit(target, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
