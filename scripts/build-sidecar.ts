// Bundles the sidecar into dist/sidecar.mjs (our code only; packages stay in node_modules). The sidecar runs
// from the bundle with plain node: no TypeScript loader at run time, which keeps its memory down.
//   node --import tsx scripts/build-sidecar.ts
//   node --import tsx scripts/build-sidecar.ts --self-contained   (the container image: packages included)
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const SIDECAR_BUNDLE = new URL('../dist/sidecar.mjs', import.meta.url).pathname;

/**
 * V8 heap settings the sidecar runs with (npm start, npm run demo, the container image, the tests): a small
 * young generation and a capped old one keep its resident memory under its 100 MB budget while it streams a
 * large backfill. Its live heap is a few tens of MB at most (every buffer and map is bounded).
 */
export const SIDECAR_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=64'];

/**
 * `selfContained` bundles the packages too, so the container image needs no node_modules. dockerode's SSH
 * transport (ssh2) has optional native parts it loads in a try/catch: they stay out, and the sidecar only
 * uses unix sockets. Bundled CommonJS packages get the `require` and `__dirname` they expect.
 */
export async function buildSidecar(options: { selfContained?: boolean } = {}): Promise<string> {
  await build({
    entryPoints: [new URL('../sidecar/src/main.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: SIDECAR_BUNDLE,
    logLevel: 'warning',
    ...(options.selfContained
      ? {
          external: ['cpu-features', '*.node'],
          banner: {
            js: [
              "import { createRequire as createRequire_ } from 'node:module';",
              "import { fileURLToPath as fileURLToPath_ } from 'node:url';",
              'const require = createRequire_(import.meta.url);',
              'const __filename = fileURLToPath_(import.meta.url);',
              "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
            ].join(' '),
          },
        }
      : { packages: 'external' as const }),
  });
  return SIDECAR_BUNDLE;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildSidecar({ selfContained: process.argv.includes('--self-contained') });
}
