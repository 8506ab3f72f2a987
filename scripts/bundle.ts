// Bundles one entry point for Node with esbuild: our code only (packages stay in node_modules), or
// self-contained for a container image that holds no node_modules.
//   node --import tsx scripts/bundle.ts <entry.ts> <out.mjs> [--self-contained]
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const NO_SSH = new URL('../sidecar/src/sources/docker/no-ssh.ts', import.meta.url).pathname;
const resolvePackage = createRequire(import.meta.url).resolve;

/**
 * dockerode and docker-modem are bundled even when other packages stay in node_modules, with ssh2 (their SSH
 * transport, which sets up a 16 MB WebAssembly memory when loaded) replaced by a stub that refuses: the sidecar
 * only speaks to a unix socket. Bundled, dockerode is also loaded only when the Docker source first calls it.
 */
const dockerWithoutSsh: Plugin = {
  name: 'docker-without-ssh',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, () => ({ path: NO_SSH }));
    build.onResolve({ filter: /^(dockerode|docker-modem)$/ }, (args) => ({
      path: resolvePackage(args.path),
    }));
  },
};

/** Bundled CommonJS packages get the `require` and `__dirname` they expect. */
const COMMONJS_GLOBALS = [
  "import { createRequire as createRequire_ } from 'node:module';",
  "import { fileURLToPath as fileURLToPath_ } from 'node:url';",
  'const require = createRequire_(import.meta.url);',
  'const __filename = fileURLToPath_(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(' ');

/** `selfContained` bundles the packages too, for a container image that holds no node_modules. */
export async function bundle(entry: string, outfile: string, options: { selfContained?: boolean } = {}) {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    plugins: [dockerWithoutSsh],
    banner: { js: COMMONJS_GLOBALS },
    ...(options.selfContained ? { external: ['*.node'] } : { packages: 'external' as const }),
  });
  return outfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [entry, outfile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!entry || !outfile) throw new Error('usage: scripts/bundle.ts <entry.ts> <out.mjs> [--self-contained]');
  await bundle(entry, outfile, { selfContained: process.argv.includes('--self-contained') });
}
