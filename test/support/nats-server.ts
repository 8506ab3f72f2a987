// Starts Debian's nats-server with one of the project's configs (nats/nats.conf by default) on free
// ports with a temporary JetStream store, for tests and benchmarks. One PID is
// the server; stop() ends it; restart() starts it again on the same ports and store.
import type { ChildProcess } from 'node:child_process';
import { spawnServer } from './child-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_USERS, NATS_CONF } from '../../nats/dev-users.ts';
import { freePort } from './free-port.ts';
import { stopProcess } from './stop-process.ts';

/** The server's users and config, for the tests that start it. */
export { DEV_USERS, NATS_CONF };

export interface NatsServer {
  /** nats://127.0.0.1:<port> for TCP clients (the aggregator). */
  url: string;
  /** ws://127.0.0.1:<port> for browsers. */
  wsUrl: string;
  /** http://127.0.0.1:<port>: /healthz, /varz, /connz, /subsz, /jsz. */
  monitorUrl: string;
  storeDir: string;
  child(): ChildProcess;
  /** Output so far (for failure messages). */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its store. */
  close(): Promise<void>;
}

export async function startNatsServer(
  options: { config?: string; env?: Record<string, string>; storeDir?: string } = {},
): Promise<NatsServer> {
  const [port, httpPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'truwatch-nats-'));
  const config = options.config ?? NATS_CONF;
  let output = '';
  let child: ChildProcess;

  const start = async () => {
    child = spawnServer('nats-server', ['-c', config], {
      env: {
        ...process.env,
        NATS_PORT: String(port),
        NATS_HTTP_PORT: String(httpPort),
        NATS_WS_PORT: String(wsPort),
        NATS_STORE_DIR: storeDir,
        NATS_AGGREGATOR_PASSWORD: DEV_USERS.aggregator.pass,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // This run's own output for its error (a restart's failure shows its own log, not the earlier runs').
    let own = '';
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${own}`))),
    );
    const take = (chunk: Buffer) => {
      own = (own + chunk.toString()).slice(-20_000);
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    exited.catch(() => undefined);
    await Promise.race([waitHealthy(`http://127.0.0.1:${httpPort}/healthz`), exited]);
  };
  await start();

  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    monitorUrl: `http://127.0.0.1:${httpPort}`,
    storeDir,
    child: () => child,
    log: () => output,
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
    restart: start,
    async close() {
      await stopProcess(child, 'SIGTERM');
      if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return server;
}

async function waitHealthy(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nats-server not healthy at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
