// Builds the web app into build/ with Vite (what the sidecar serves).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ROOT = new URL('..', import.meta.url).pathname;
export const WEB_BUILD = `${ROOT}build/`;

export function buildWeb(): void {
  const build = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) throw new Error('the web app did not build (vite build failed)');
}

/** Builds the web app when it was never built. */
export function ensureWebBuild(): void {
  if (!existsSync(`${WEB_BUILD}index.html`)) buildWeb();
}
