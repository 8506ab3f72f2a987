// The sidecar's command line: `npm start` (the configured source) and `npm run demo` (the replay).
import { ConfigError, loadConfig, type Config } from './config.ts';
import { pairingLink, runningSidecar } from './pairing.ts';
import { loadOrCreateSecret } from './secrets.ts';
import { startSidecar, TASK_DATA_PASSWORD_FILE, taskDataPassword, VERSION } from './server.ts';
import { stopOnSignals } from './shutdown.ts';

const args = process.argv.slice(2);
const demo = args.includes('--demo');
const showPairing = demo || args.includes('--pairing-link');

const config: Config = (() => {
  try {
    return loadConfig(process.env, { demo });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`truwatch: configuration error: ${error.message}`);
    process.exit(2);
  }
})();

if (args.includes('--task-data-password')) {
  // On request, as the pairing link: print it and exit, start nothing.
  console.log(
    config.taskDataPassword
      ? 'truwatch: the task-data password is the TASK_DATA_PASSWORD you set'
      : `truwatch: the task-data password (kept in ${config.dataDir}/${TASK_DATA_PASSWORD_FILE}) is:\n  ${taskDataPassword(config).value}`,
  );
  process.exit(0);
}

const where =
  config.source.kind === 'docker'
    ? `container "${config.source.containerName}" through ${config.source.socketPath}`
    : config.source.kind === 'file'
      ? `log files in ${config.source.dir}`
      : `the demo replay at ${config.source.speed}x speed (no runner-node needed)`;
console.log(`truwatch sidecar ${VERSION}: following ${where}`);
if (config.notify)
  console.log(
    `truwatch: alerts for "${config.notify.nodeName}" go to ${config.notify.channels.map((c) => c.label).join(', ')}`,
  );

let lastState = '';
const sidecar = await startSidecar(config, {
  onStatus: (s) => {
    const line = `${s.state}${s.detail ? `: ${s.detail}` : ''}`;
    if (line !== lastState) console.log(`truwatch: source ${line}`);
    lastState = line;
  },
}).catch(async (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE' && showPairing && !demo) await printLinkOfRunning();
  console.error(
    error.code === 'EADDRINUSE'
      ? `truwatch: port ${config.port} on ${config.host} is in use: set PORT to another port`
      : `truwatch: cannot start: ${error.message}`,
  );
  process.exit(1);
});

console.log(`truwatch: listening on ${sidecar.url}`);
if (sidecar.apiKeyCreated || showPairing) {
  console.log(`truwatch: open this pairing link in your browser (it holds the API token):`);
  console.log(`  ${pairingLink(sidecar.url, sidecar.apiKey)}`);
} else {
  console.log(
    config.apiKey
      ? 'truwatch: the API token is the API_KEY you set (npm start -- --pairing-link shows the link)'
      : `truwatch: the API token is in ${config.dataDir}/api-key (npm start -- --pairing-link shows the link)`,
  );
}
if (sidecar.taskDataPasswordCreated) {
  console.log(
    "truwatch: the task-data password, which shows a task's input and output in the app (npm start -- --task-data-password shows it again):",
  );
  console.log(`  ${sidecar.taskDataPassword}`);
}

/** `--pairing-link` while the sidecar already runs on this port: print its link and exit, start nothing. */
async function printLinkOfRunning(): Promise<void> {
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  const apiKey = config.apiKey ?? loadOrCreateSecret(config.dataDir, 'api-key').value;
  const running = await runningSidecar(url, apiKey);
  if (running === 'ours') {
    console.log(`truwatch: the sidecar already runs on ${url}; open this pairing link in your browser:`);
    console.log(`  ${pairingLink(url, apiKey)}`);
    process.exit(0);
  }
  if (running === 'other-token') {
    console.error(
      `truwatch: a sidecar runs on ${url} with another API token than ${config.apiKey ? 'API_KEY' : `${config.dataDir}/api-key`}: run this command with its settings (DATA_DIR or API_KEY)`,
    );
    process.exit(1);
  }
}

stopOnSignals(() => sidecar.close());
