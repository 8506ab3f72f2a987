// npm start / npm run demo: builds the web app when it was never built, builds the sidecar bundle, then runs
// it with its heap settings in this process's place (signals and exit code pass through).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildSidecar, SIDECAR_NODE_FLAGS } from './build-sidecar.ts';

const root = new URL('..', import.meta.url).pathname;
if (!process.env.STATIC_DIR && !existsSync(`${root}build/index.html`)) {
  console.log('truwatch: building the web app (once; npm run build rebuilds it)');
  const build = spawnSync(
    process.execPath,
    [`${root}node_modules/vite/bin/vite.js`, 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const bundle = await buildSidecar();
const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, bundle, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
