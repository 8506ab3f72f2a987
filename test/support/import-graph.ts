// The import graph of our own source files, read from their text: every relative import, re-export and lazy
// `import()` of each .ts and .svelte file (tests left out), resolved to a path and marked when it imports types
// only. For tests of the layout (test/walls.test.ts): cycles, and which side of a worker boundary loads which.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Import {
  /** Relative to the root the graph was read from. */
  target: string;
  typeOnly: boolean;
}

export type ImportGraph = Map<string, Import[]>;

const SOURCE = /\.(ts|svelte)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sourceFiles(join(dir, d.name))
      : SOURCE.test(d.name) && !/\.(test|spec)\.ts$/.test(d.name)
        ? [join(dir, d.name)]
        : [],
  );
}

function importsOf(root: string, file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.'))
      found.push({ target: relative(root, resolve(dirname(file), specifier)), typeOnly });
  };
  for (const m of text.matchAll(/\b(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/g))
    add(m[2]!, m[1] !== undefined);
  for (const m of text.matchAll(/\bimport\s*(?:\(\s*)?['"]([^'"]+)['"]/g)) add(m[1]!, false);
  return found;
}

/** The graph of every source file under `dirs` (relative to `root`), keyed by path relative to `root`. */
export function importGraph(root: string, dirs: string[]): ImportGraph {
  return new Map(
    dirs
      .flatMap((dir) => sourceFiles(join(root, dir)))
      .map((file) => [relative(root, file), importsOf(root, file)]),
  );
}

/** Every cycle of imports, type imports and lazy imports counted, as `a → b → a`. */
export function cycles(graph: ImportGraph): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open')
      return void found.push([...path.slice(path.indexOf(node)), node].join(' → '));
    state.set(node, 'open');
    for (const { target } of graph.get(node) ?? []) if (graph.has(target)) visit(target, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}
