// npm start / npm run demo: builds the web app when it was never built, builds the sidecar bundle, then runs
// it with its heap settings in this process's place (signals and exit code pass through: a child ended by a
// signal gives 128 + its number, as a shell does). The sidecar ends by its stop deadline after a signal; should
// it still be there 2 s later, it is killed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { STOP_DEADLINE_MS } from '../sidecar/src/shutdown.ts';
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
let killer: NodeJS.Timeout | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    child.kill(signal);
    killer ??= setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS + 2000);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
