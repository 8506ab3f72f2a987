// A TCP port on 127.0.0.1 for a test server that must be told its port before it starts (nats-server's
// client, route and gateway ports). Two things could take the port between this check and the server's bind:
// - an outgoing connection: the kernel gives those ports of the ephemeral range, so the port is chosen below it;
// - another test process asking at the same moment: each port handed out is reserved for some minutes by a
//   file created exclusively in a directory shared by every process of the run.
import { mkdirSync, openSync, closeSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOWEST = 10_000;
const RESERVED_MS = 10 * 60_000;
const RESERVATIONS = join(tmpdir(), 'truwatch-test-ports');

/** The first port of the kernel's ephemeral range (what outgoing connections use). */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGHEST = ephemeralStart() - 1;

/** Reserves `port` for this process: false when another reserved it less than RESERVED_MS ago. */
function reserve(port: number): boolean {
  mkdirSync(RESERVATIONS, { recursive: true });
  const file = join(RESERVATIONS, String(port));
  try {
    if (Date.now() - statSync(file).mtimeMs < RESERVED_MS) return false;
    unlinkSync(file);
  } catch {
    // not reserved yet, or another process just removed the stale reservation
  }
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    return false;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (reserve(port) && (await bindable(port))) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${HIGHEST}`);
}
