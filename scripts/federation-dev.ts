// npm run federation:dev: the whole federation on one machine, for development. Starts Debian's
// nats-server with nats/nats.conf (ports and store from the environment, with the defaults below), the token
// issuer with its dev policy (tokens for anyone, named `localhost`) and one aggregator against them that, as a
// federation should, counts only messages with the issuer's tokens (docs/TRUST.md); Ctrl-C stops them all. Point
// a sidecar at the WebSocket URL and the issuer URL it prints. A port in use is said before anything starts, and
// a failure to start leaves nothing running.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { startAggregator } from '../aggregator/src/aggregator.ts';
import { readConfig } from '../aggregator/src/config.ts';
import { readIssuerConfig } from '../aggregator/src/issuer/config.ts';
import { startIssuer } from '../aggregator/src/issuer/issuer.ts';
import { keysFileOf } from '../aggregator/src/issuer/keys-file.ts';
import { DEV_USERS, NATS_CONF } from '../nats/dev-users.ts';

const env = {
  NATS_PORT: process.env.NATS_PORT ?? '4222',
  NATS_HTTP_PORT: process.env.NATS_HTTP_PORT ?? '8222',
  NATS_WS_PORT: process.env.NATS_WS_PORT ?? '9222',
  // Absolute: nats-server reads a value such as `.nats-store` from the environment as a (bad) number.
  NATS_STORE_DIR: resolve(process.env.NATS_STORE_DIR ?? '.nats-store'),
  NATS_AGGREGATOR_PASSWORD: process.env.NATS_AGGREGATOR_PASSWORD ?? DEV_USERS.aggregator.pass,
};
const issuerConfig = readIssuerConfig({
  ...process.env,
  ISSUER_POLICY: 'dev',
  ISSUER_DATA_DIR: process.env.ISSUER_DATA_DIR ?? '.issuer-data',
});
// Tokens required: the issuer's keys file (written when it starts, before the aggregator does) and its name.
// Nothing here needs an aggregator that counts messages without tokens, so there is no way to turn it off.
const config = readConfig({
  ...process.env,
  NATS_URL: `nats://127.0.0.1:${env.NATS_PORT}`,
  NATS_PASSWORD: env.NATS_AGGREGATOR_PASSWORD,
  TOKEN_KEYS: keysFileOf(issuerConfig.dataDir),
  ISSUER_NAME: issuerConfig.issuerName,
});
const busy: string[] = [];
for (const [name, port, host] of [
  ['NATS_PORT', env.NATS_PORT, '0.0.0.0'],
  ['NATS_HTTP_PORT', env.NATS_HTTP_PORT, '0.0.0.0'],
  ['NATS_WS_PORT', env.NATS_WS_PORT, '0.0.0.0'],
  ['HTTP_PORT (the aggregator)', String(config.httpPort), config.httpHost],
  ['ISSUER_HTTP_PORT (the token issuer)', String(issuerConfig.httpPort), issuerConfig.httpHost],
] as const)
  if (await inUse(Number(port), host)) busy.push(`${port} (${name})`);
if (busy.length) {
  console.error(
    `federation:dev: port ${busy.join(', ')} is in use: is federation:dev or a nats-server already running? Stop it, or set the variable to a free port`,
  );
  process.exit(1);
}

const server = spawn('nats-server', ['-c', NATS_CONF], { env: { ...process.env, ...env }, stdio: 'inherit' });
server.once('exit', (code) => {
  console.error(`federation:dev: nats-server exited with ${code}`);
  process.exit(1);
});

/** Stops nats-server and exits 1 with `message`: nothing is left running. */
function fail(message: string): never {
  console.error(`federation:dev: ${message}`);
  server.removeAllListeners('exit');
  server.kill('SIGTERM');
  process.exit(1);
}

const healthz = `http://127.0.0.1:${env.NATS_HTTP_PORT}/healthz`;
for (let i = 0; ; i++) {
  const ok = await fetch(healthz).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 300) fail(`nats-server not healthy at ${healthz}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const issuer = await startIssuer(issuerConfig).catch((error: unknown) =>
  fail(`the issuer did not start: ${error instanceof Error ? error.message : String(error)}`),
);
const aggregator = await startAggregator(config).catch((error: unknown) =>
  fail(`the aggregator did not start: ${error instanceof Error ? error.message : String(error)}`),
);
// The app takes the issuer's name from the URL's host name unless FEDERATION_ISSUER_NAME says otherwise: on
// this machine the URL says `localhost`, the dev issuer's name.
const issuerAddress = new URL(issuer.url);
const local = ['127.0.0.1', 'localhost', '0.0.0.0', '[::]', '[::1]'].includes(issuerAddress.hostname);
const issuerUrl = `http://${local ? 'localhost' : issuerAddress.hostname}:${issuerAddress.port}`;
const sidecarEnv = [
  `FEDERATION_NATS_URL=ws://127.0.0.1:${env.NATS_WS_PORT}`,
  `FEDERATION_ISSUER_URL=${issuerUrl}`,
  ...(new URL(issuerUrl).hostname === issuerConfig.issuerName
    ? []
    : [`FEDERATION_ISSUER_NAME=${issuerConfig.issuerName}`]),
].join(' ');
console.log(`federation:dev ready
  NATS (TCP)        nats://127.0.0.1:${env.NATS_PORT}
  NATS (WebSocket)  ws://127.0.0.1:${env.NATS_WS_PORT}   monitor/monitor publishes, public/public reads
  NATS monitoring   http://127.0.0.1:${env.NATS_HTTP_PORT}/healthz
  aggregator        ${aggregator.httpUrl}/api/stats  /api/history  /healthz  /metrics
                    counts only messages with the issuer's tokens (TOKEN_KEYS=${keysFileOf(issuerConfig.dataDir)})
  token issuer      ${issuerUrl}/.well-known/private-token-issuer-directory   dev policy, named ${issuerConfig.issuerName}
  a sidecar needs   ${sidecarEnv}
                    e.g. ${sidecarEnv} npm run demo`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.removeAllListeners('exit');
    server.once('exit', () => process.exit(0));
    void Promise.all([aggregator.stop(), issuer.stop()]).then(() => server.kill('SIGTERM'));
  });

/** Whether something listens on `port` of `host` already (binding it fails). */
function inUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
