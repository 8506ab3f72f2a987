// Bundles the sidecar into dist/sidecar.mjs (our code only; packages stay in node_modules). The sidecar runs
// from the bundle with plain node: no TypeScript loader at run time, which keeps its memory down.
//   node --import tsx scripts/build-sidecar.ts
// The container image bundles it self-contained with scripts/bundle.ts (deploy/sidecar.Dockerfile).
import { pathToFileURL } from 'node:url';
import { bundle } from './bundle.ts';

export const SIDECAR_BUNDLE = new URL('../dist/sidecar.mjs', import.meta.url).pathname;

/**
 * V8 heap settings the sidecar runs with (npm start, npm run demo, the container image, the tests): a small
 * young generation and a capped old one keep its resident memory under its 100 MB budget while it streams a
 * large backfill. Its live heap is a few tens of MB at most (every buffer and map is bounded).
 */
export const SIDECAR_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=64'];

export function buildSidecar(): Promise<string> {
  return bundle(new URL('../sidecar/src/main.ts', import.meta.url).pathname, SIDECAR_BUNDLE);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildSidecar();
}
