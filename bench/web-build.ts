// Builds the web app for a benchmark when it is not built yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const WEB_BUILD = new URL('../build/', import.meta.url).pathname;

export function ensureWebBuild(): void {
  if (existsSync(`${WEB_BUILD}index.html`)) return;
  const root = new URL('..', import.meta.url).pathname;
  const build = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) throw new Error('vite build failed');
}
