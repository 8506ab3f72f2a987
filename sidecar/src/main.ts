// The sidecar's command line: `npm start` (the configured source) and `npm run demo` (the replay).
import { ConfigError, loadConfig } from './config.ts';
import { startSidecar, VERSION } from './server.ts';
import { stopOnSignals } from './shutdown.ts';

const args = process.argv.slice(2);
const demo = args.includes('--demo');
const showPairing = demo || args.includes('--pairing-link');

let config;
try {
  config = loadConfig(process.env, { demo });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`truwatch: configuration error: ${error.message}`);
  process.exit(2);
}

const where =
  config.source.kind === 'docker'
    ? `container "${config.source.containerName}" through ${config.source.socketPath}`
    : config.source.kind === 'file'
      ? `log files in ${config.source.dir}`
      : `the demo replay at ${config.source.speed}x speed (no runner-node needed)`;
console.log(`truwatch sidecar ${VERSION}: following ${where}`);

let lastState = '';
const sidecar = await startSidecar(config, {
  onStatus: (s) => {
    const line = `${s.state}${s.detail ? `: ${s.detail}` : ''}`;
    if (line !== lastState) console.log(`truwatch: source ${line}`);
    lastState = line;
  },
}).catch((error: NodeJS.ErrnoException) => {
  console.error(
    error.code === 'EADDRINUSE'
      ? `truwatch: port ${config.port} on ${config.host} is in use: set PORT to another port`
      : `truwatch: cannot start: ${error.message}`,
  );
  process.exit(1);
});

console.log(`truwatch: listening on ${sidecar.url}`);
if (sidecar.apiKeyCreated || showPairing) {
  // Listening on every address (in a container): a browser on this machine opens it by the loopback one.
  const local = sidecar.url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])(?=:)/, 'http://127.0.0.1');
  console.log(`truwatch: open this pairing link in your browser (it holds the API token):`);
  console.log(`  ${local}/#token=${sidecar.apiKey}`);
} else {
  console.log(
    `truwatch: the API token is in ${config.dataDir}/api-key (npm start -- --pairing-link shows the link)`,
  );
}

stopOnSignals(() => sidecar.close());
