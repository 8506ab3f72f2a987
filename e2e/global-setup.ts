// Builds what the end-to-end tests run: the web app (build/) and the sidecar bundle (dist/).
import { spawnSync } from 'node:child_process';
import { buildSidecar } from '../scripts/build-sidecar.ts';

export default async function globalSetup(): Promise<void> {
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
  await buildSidecar();
}
