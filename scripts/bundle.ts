// Bundles one entry point for Node with esbuild: our code only (packages stay in node_modules), or
// self-contained for a container image that holds no node_modules.
//   node --import tsx scripts/bundle.ts <entry.ts> <out.mjs> [--self-contained]
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * `selfContained` bundles the packages too. dockerode's SSH transport (ssh2) has optional native parts it
 * loads in a try/catch: they stay out (the sidecar only uses unix sockets). Bundled CommonJS packages get the
 * `require` and `__dirname` they expect.
 */
export async function bundle(entry: string, outfile: string, options: { selfContained?: boolean } = {}) {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
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
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [entry, outfile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!entry || !outfile) throw new Error('usage: scripts/bundle.ts <entry.ts> <out.mjs> [--self-contained]');
  await bundle(entry, outfile, { selfContained: process.argv.includes('--self-contained') });
}
