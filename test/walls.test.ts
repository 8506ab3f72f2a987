// The walls between the rooms hold: the project's own eslint config (eslint.config.js) refuses every import
// across them, in TypeScript and in Svelte files, and lets each room's tests use test/support/. Inside the rooms:
// no import cycle, and what a page loads stays apart from what a worker runs (docs/ARCHITECTURE.md).
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from './support/import-graph.ts';

const eslint = new ESLint();

/** The wall messages eslint gives `text` as if it were the file at `filePath` (relative to the repository). */
async function wallErrors(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'import-x/no-restricted-paths')
    .map((message) => message.message);
}

const importing = (specifier: string) =>
  `import * as other from '${specifier}';\nexport const used = other;\n`;

describe('the walls between the rooms', () => {
  it.each([
    ['sidecar/src/x.ts', '../../web/src/lib/app/format.ts', 'sidecar/ imports only itself and protocol/'],
    ['sidecar/src/x.ts', '../../aggregator/src/config.ts', 'sidecar/ imports only itself and protocol/'],
    ['aggregator/src/x.ts', '../../sidecar/src/config.ts', 'aggregator/ imports only itself and protocol/'],
    ['web/src/lib/x.ts', '../../../sidecar/src/config.ts', 'web/ imports only itself and protocol/'],
    ['protocol/x.ts', '../sidecar/src/config.ts', 'protocol/ imports nothing of ours'],
    ['protocol/x.ts', '../test/support/free-port.ts', 'protocol/ imports nothing of ours'],
    ['sidecar/src/x.ts', '../../scripts/build-web.ts', 'sidecar/ imports only itself and protocol/'],
    ['sidecar/src/x.ts', '../../test/support/free-port.ts', 'sidecar/ imports only itself and protocol/'],
    [
      'sidecar/src/sources/file/x.ts',
      '../../../../test/support/runner-log-dir.ts',
      'sidecar/ imports only itself and protocol/',
    ],
    ['web/src/lib/x.ts', '../../../test/support/ingest.ts', 'web/ imports only itself and protocol/'],
    ['aggregator/src/x.test.ts', '../../sidecar/src/config.ts', 'a test of aggregator/ imports'],
    ['sidecar/src/x.test.ts', '../../test/integration/ingest-restart.test.ts', 'a test of sidecar/ imports'],
    ['scripts/x.ts', '../test/support/free-port.ts', 'scripts/ are commands a person runs'],
  ])('%s may not import %s', async (file, specifier, message) => {
    const errors = await wallErrors(file, importing(specifier));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it('holds in Svelte components too', async () => {
    const component = `<script lang="ts">\n  import { readConfig } from '../../../../aggregator/src/config.ts';\n  console.log(readConfig);\n</script>\n`;
    const errors = await wallErrors('web/src/lib/components/X.svelte', component);
    expect(errors).toEqual([expect.stringContaining('web/ imports only itself and protocol/')]);
  });

  it.each([
    ['sidecar/src/x.ts', '../../protocol/node-events.ts'],
    ['sidecar/src/x.ts', './config.ts'],
    ['web/src/lib/x.ts', '../../../protocol/federation.ts'],
    ['sidecar/src/x.test.ts', '../../test/support/free-port.ts'],
    ['sidecar/src/sources/file/x.test.ts', '../../../../test/support/runner-log-dir.ts'],
    ['web/src/lib/x.test.ts', '../../../test/support/ingest.ts'],
    ['protocol/x.test.ts', '../test/support/federation-status-sample.ts'],
    ['test/support/x.ts', '../../sidecar/src/config.ts'],
    ['scripts/x.ts', '../sidecar/src/config.ts'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await wallErrors(file, importing(specifier))).toEqual([]);
  });
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const graph = importGraph(ROOT, ['protocol', 'sidecar/src', 'web/src', 'aggregator/src']);

describe('inside the rooms', () => {
  it('reads every import, lazy and type-only ones included', () => {
    expect(graph.get('web/src/lib/federation/page/boot-check.ts')).toEqual([
      { target: 'web/src/lib/federation/page/enabled-flag.ts', typeOnly: false },
      { target: 'web/src/lib/federation/page/boot.ts', typeOnly: false },
    ]);
    expect(graph.get('web/src/lib/federation/page/client.svelte.ts')).toContainEqual({
      target: 'web/src/lib/federation/worker/worker.ts',
      typeOnly: true,
    });
    expect(graph.size).toBeGreaterThan(150);
  });

  it('has no import cycle, type imports counted', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const looped = new Map([
      ['a.ts', [{ target: 'b.ts', typeOnly: true }]],
      ['b.ts', [{ target: 'c.ts', typeOnly: false }]],
      ['c.ts', [{ target: 'b.ts', typeOnly: false }]],
    ]);
    expect(cycles(looped)).toEqual(['b.ts → c.ts → b.ts']);
  });

  // A page loads page/ and what both sides share; it may know a worker's API by its types only. A worker never
  // loads page code, and the shared files load neither side's code.
  it.each(['web/src/lib/ingest', 'web/src/lib/federation'])(
    '%s keeps its page side and worker side apart',
    (dir) => {
      const side = (path: string) =>
        !path.startsWith(`${dir}/`)
          ? 'outside'
          : path.startsWith(`${dir}/page/`)
            ? 'page'
            : path.startsWith(`${dir}/worker/`)
              ? 'worker'
              : 'shared';
      const crossings: string[] = [];
      for (const [from, list] of graph) {
        const a = side(from);
        if (a === 'outside') continue;
        for (const { target, typeOnly } of list) {
          const b = side(target);
          const allowed =
            a === b || b === 'shared' || b === 'outside' || (a !== 'worker' && b === 'worker' && typeOnly);
          if (!allowed) crossings.push(`${from} → ${target}`);
        }
      }
      expect(crossings).toEqual([]);
      expect([...graph.keys()].filter((path) => side(path) === 'page').length).toBeGreaterThan(0);
      expect([...graph.keys()].filter((path) => side(path) === 'worker').length).toBeGreaterThan(0);
    },
  );
});
