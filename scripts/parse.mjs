#!/usr/bin/env node
// npm run parse -- <log file | -> [--summary]: the parser's command (sidecar/src/parse-cli.ts) run from a bundle
// with plain node, no TypeScript loader at start. The bundle (dist/parse-cli.mjs) is built again with esbuild when
// it is missing or older than any file it was built from (listed beside it). It carries what it uses of its
// packages too (valibot, for the contract's limits): node then resolves and loads no package at start (~20 ms).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = resolve(ROOT, 'sidecar/src/parse-cli.ts');
export const PARSE_BUNDLE = resolve(ROOT, 'dist/parse-cli.mjs');
const INPUTS = `${PARSE_BUNDLE}.inputs.json`;

function stale() {
  if (!existsSync(PARSE_BUNDLE) || !existsSync(INPUTS)) return true;
  const built = statSync(PARSE_BUNDLE).mtimeMs;
  const inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
  return inputs.some((path) => !existsSync(path) || statSync(path).mtimeMs > built);
}

/** Builds the bundle when it is stale; returns its path. */
export async function buildParseCli() {
  if (!stale()) return PARSE_BUNDLE;
  const { build } = await import('esbuild');
  // Built beside it and renamed over it: a command started meanwhile never loads half a file.
  const partial = `${PARSE_BUNDLE}.${process.pid}.partial`;
  const { metafile } = await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: partial,
    metafile: true,
    logLevel: 'warning',
  });
  // This script too: a change to how the bundle is built builds it again.
  const inputs = [
    ...Object.keys(metafile.inputs).map((path) => resolve(ROOT, path)),
    fileURLToPath(import.meta.url),
  ];
  writeFileSync(INPUTS, JSON.stringify(inputs));
  renameSync(partial, PARSE_BUNDLE);
  return PARSE_BUNDLE;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await import(pathToFileURL(await buildParseCli()).href);
}
