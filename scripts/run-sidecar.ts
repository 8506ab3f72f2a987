// npm start / npm run demo: builds the web app when it was never built, builds the sidecar bundle, then runs
// it with its heap settings in this process's place (signals and exit code pass through).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildSidecar, SIDECAR_NODE_FLAGS } from './build-sidecar.ts';
import { buildWeb, WEB_BUILD } from './build-web.ts';

if (!process.env.STATIC_DIR && !existsSync(`${WEB_BUILD}index.html`)) {
  console.log('truwatch: building the web app (once; npm run build rebuilds it)');
  buildWeb();
}
const bundle = await buildSidecar();
const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, bundle, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
